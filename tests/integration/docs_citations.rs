//! Keeps the project's references true: every `docs/<name>.md` and `docs/<name>.md §n` cited in
//! the repository's sources, configs, scripts and docs names a file and a heading that exist.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Folders never scanned: build output, git's own, the Python venv.
const SKIPPED_DIRS: [&str; 3] = ["target", ".git", ".venv"];

/// Files whose citations are checked, by extension.
const SCANNED_EXTENSIONS: [&str; 7] = ["rs", "md", "toml", "yaml", "yml", "sh", "py"];

/// One citation: the document under `docs/` and, when given, the section number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Citation {
    doc: String,
    section: Option<String>,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace root")
        .to_path_buf()
}

/// Every scanned file under `dir`, skipping [`SKIPPED_DIRS`] at any depth.
fn scanned_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.expect("directory entry");
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let file_type = entry.file_type().expect("file type");
        if file_type.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                scanned_files(&path, out);
            }
        } else if file_type.is_file()
            && path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| SCANNED_EXTENSIONS.contains(&e))
        {
            out.push(path);
        }
    }
}

/// A section number at the start of `text` (after an optional space): `2`, `2.4`, `11.6`;
/// a trailing full stop (end of sentence, or `## 2.` headings) is not part of it.
fn section_number(text: &str) -> Option<(String, usize)> {
    let start = text.len() - text.trim_start_matches(' ').len();
    let rest = &text[start..];
    let len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let number = rest[..len].trim_end_matches('.');
    if number.is_empty() || !number.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some((number.to_owned(), start + len))
}

/// After a cited section, the next `§n` of the same list (`§2.1, §2.5`, `§2.4-§2.5`, `§4 and §6`),
/// as (number, bytes consumed).
fn next_listed_section(text: &str) -> Option<(String, usize)> {
    let trimmed = text.trim_start_matches(' ');
    let mut used = text.len() - trimmed.len();
    let mut rest = trimmed;
    for separator in [",", ";", "-", "–", "/", "and", "or"] {
        if let Some(after) = rest.strip_prefix(separator) {
            used += separator.len();
            rest = after;
            break;
        }
    }
    let after_space = rest.trim_start_matches(' ');
    used += rest.len() - after_space.len();
    let after_mark = after_space.strip_prefix('§')?;
    used += '§'.len_utf8();
    let (number, len) = section_number(after_mark)?;
    Some((number, used + len))
}

/// The citations in one file's text. `docs/` must start a path (not `shared/docs/`), the name
/// is `[a-z0-9_-]+`, and sections follow as `§n` with further `, §m` in the same list.
fn citations_in(text: &str) -> Vec<Citation> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find("docs/") {
        let at = from + offset;
        from = at + "docs/".len();
        let starts_path = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || "/._-".contains(c)));
        if !starts_path {
            continue;
        }
        let rest = &text[from..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        if name_len == 0 || !rest[name_len..].starts_with(".md") {
            continue;
        }
        let doc = format!("{}.md", &rest[..name_len]);
        let mut tail = &rest[name_len + ".md".len()..];
        let mut sections = Vec::new();
        let first = tail.trim_start_matches(' ');
        if let Some(after_mark) = first.strip_prefix('§')
            && let Some((number, len)) = section_number(after_mark)
        {
            sections.push(number);
            tail = &after_mark[len..];
            while let Some((number, len)) = next_listed_section(tail) {
                sections.push(number);
                tail = &tail[len..];
            }
        }
        if sections.is_empty() {
            found.push(Citation { doc, section: None });
        } else {
            found.extend(sections.into_iter().map(|section| Citation {
                doc: doc.clone(),
                section: Some(section),
            }));
        }
    }
    found
}

/// The section numbers a Markdown document's headings start with (`## 2. CRM`, `### 2.4 Search`).
fn heading_numbers(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter_map(|line| {
            let hashes = line.len() - line.trim_start_matches('#').len();
            if hashes == 0 || !line[hashes..].starts_with(' ') {
                return None;
            }
            section_number(&line[hashes..]).map(|(number, _)| number)
        })
        .collect()
}

/// Documents that live outside this repository; nothing in it may point a reader there.
fn outside_documents() -> Vec<String> {
    // Built from pieces so this file does not cite them itself.
    [
        ["..", "/shared"].concat(),
        ["hubspot", "-api.md"].concat(),
        ["quickbooks", "-api.md"].concat(),
        ["DESIGN", ".md"].concat(),
        ["rust-aws", "-notes.md"].concat(),
    ]
    .to_vec()
}

#[test]
fn docs_citation_parser_reads_files_sections_and_lists() {
    let text = "see docs/hubspot.md §2.4 and (docs/quickbooks.md §4.1, §10.2; §12). \
                docs/aws.md, docs/architecture.md §10 `KEY#`, docs/hubspot.md §4. End. \
                shared/docs/other.md, docs/quickbooks.md §2.4-§2.5, mydocs/x.md";
    let cite = |doc: &str, section: Option<&str>| Citation {
        doc: doc.into(),
        section: section.map(Into::into),
    };
    assert_eq!(
        citations_in(text),
        vec![
            cite("hubspot.md", Some("2.4")),
            cite("quickbooks.md", Some("4.1")),
            cite("quickbooks.md", Some("10.2")),
            cite("quickbooks.md", Some("12")),
            cite("aws.md", None),
            cite("architecture.md", Some("10")),
            cite("hubspot.md", Some("4")),
            cite("quickbooks.md", Some("2.4")),
            cite("quickbooks.md", Some("2.5")),
        ]
    );
    let headings =
        heading_numbers("# Title\n## 2. CRM\n### 2.4 Search\n#### 2.4.1 x\nno 3.\n#5 no");
    assert_eq!(
        headings,
        BTreeSet::from(["2".to_owned(), "2.4".to_owned(), "2.4.1".to_owned()])
    );
}

#[test]
fn docs_every_citation_names_an_existing_file_and_section() {
    let root = repo_root();
    let mut files = Vec::new();
    scanned_files(&root, &mut files);
    files.sort();

    let mut cited: BTreeMap<Citation, Vec<String>> = BTreeMap::new();
    let mut outside = Vec::new();
    let forbidden = outside_documents();
    for file in &files {
        let Ok(text) = fs::read_to_string(file) else {
            continue; // not UTF-8: no citations to check
        };
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        for citation in citations_in(&text) {
            cited.entry(citation).or_default().push(shown.clone());
        }
        for name in &forbidden {
            if text.contains(name.as_str()) {
                outside.push(format!("{shown} cites {name}"));
            }
        }
    }
    assert!(
        outside.is_empty(),
        "references to documents outside the repository:\n{}",
        outside.join("\n")
    );
    // The code cites the vendor notes a few hundred times; far fewer means the scan broke.
    let distinct = cited.len();
    assert!(
        distinct >= 50,
        "only {distinct} distinct citations found under {}",
        root.display()
    );

    let mut headings: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    let mut broken = Vec::new();
    for (citation, sources) in &cited {
        let numbers = headings.entry(citation.doc.clone()).or_insert_with(|| {
            fs::read_to_string(root.join("docs").join(&citation.doc))
                .ok()
                .map(|text| heading_numbers(&text))
        });
        let problem = match (numbers, &citation.section) {
            (None, _) => Some(format!("docs/{} does not exist", citation.doc)),
            (Some(numbers), Some(section)) if !numbers.contains(section) => Some(format!(
                "docs/{} has no heading numbered {section}",
                citation.doc
            )),
            _ => None,
        };
        if let Some(problem) = problem {
            broken.push(format!("{problem} (cited in {})", sources.join(", ")));
        }
    }
    assert!(
        broken.is_empty(),
        "broken doc citations:\n{}",
        broken.join("\n")
    );
    println!(
        "{distinct} distinct doc citations in {} files resolve",
        files.len()
    );
}
