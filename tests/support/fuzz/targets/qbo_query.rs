//! Fuzz target `qbo-query`: the QBO sandbox's query `parse` (4000/4001 errors), a rendered
//! statement parsing back equal, and `eval::run` of each accepted one on a demo company.

use rand::Rng;
use rand::rngs::StdRng;

use hqsync_sandbox::Seed;
use hqsync_sandbox::quickbooks::query::{
    Literal, Operator, Projection, QueryError, Statement, eval, parse,
};
use hqsync_sandbox::quickbooks::state::Company;

use super::{NOW_MS, Target};
use crate::fuzz::mutate::{self, EDGE_NUMBERS, WEIRD_STRINGS, pick};

/// Statements the clients, the sandbox tests and docs/quickbooks.md §6 use.
const SEEDS: &[&str] = &[
    "SELECT * FROM Customer",
    "SELECT COUNT(*) FROM Customer",
    "SELECT * FROM Account WHERE AccountType = 'Income'",
    "SELECT * FROM Customer ORDERBY DisplayName DESC STARTPOSITION 2 MAXRESULTS 2",
    "SELECT * FROM Customer WHERE Active IN (true,false) ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000",
    "SELECT * FROM Customer WHERE DisplayName = 'O\\'Brien Ltd' AND Active IN (true,false)",
    "SELECT * FROM Customer WHERE DisplayName LIKE '%b%'",
    "SELECT * FROM Customer WHERE Id IN ('1', '3')",
    "SELECT * FROM Customer WHERE Metadata.LastUpdatedTime > '2020-01-01'",
    "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime > '2026-03-01T00:00:00-08:00' ORDERBY MetaData.LastUpdatedTime DESC",
    "SELECT COUNT(*) FROM Invoice WHERE TotalAmt >= 10.5 AND Balance < '3'",
    "SELECT * FROM TaxCode WHERE Active = true",
    "SELECT * FROM Item WHERE Name = 'A\\'b'",
    "SELECT * FROM Customer WHERE DisplayName = 'a' OR DisplayName = 'b'",
    "SELECT * FROM Customer JOIN Invoice",
    "SELECT * FROM Customer MAXRESULTS 1500",
    "SELECT * FROM Customer STARTPOSITION 0",
    "select Id, DisplayName from customer order by Id asc",
    "SELECT * FROM Payment WHERE TxnDate <= '2026-01-31' AND TotalAmt > -1",
];

const TOKENS: &[&str] = &[
    "SELECT",
    "select",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "IN",
    "LIKE",
    "ORDERBY",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "STARTPOSITION",
    "MAXRESULTS",
    "COUNT(*)",
    "COUNT",
    "*",
    "(",
    ")",
    ",",
    "=",
    "<",
    ">",
    "<=",
    ">=",
    "!=",
    "Customer",
    "Invoice",
    "Item",
    "Payment",
    "Account",
    "Vendor",
    "NoSuchEntity",
    "Id",
    "DisplayName",
    "Active",
    "MetaData.LastUpdatedTime",
    "TotalAmt",
    "PrimaryEmailAddr",
    "true",
    "false",
    "'x'",
    "'%'",
    "'%a%b%'",
    "'İ%'",
    "'\\''",
    "'\\\\'",
    "'",
    "\\",
    "-",
];

pub struct QboQuery {
    company: Company,
}

impl QboQuery {
    pub fn new() -> Self {
        QboQuery {
            company: Company::new("9341455649204247", -480, Seed::Demo, NOW_MS),
        }
    }
}

impl Target for QboQuery {
    fn name(&self) -> &'static str {
        "qbo-query"
    }

    fn generate(&self, rng: &mut StdRng) -> Vec<u8> {
        let seed = pick(rng, SEEDS);
        if rng.random_ratio(3, 5) {
            // Token-level: replace, insert, drop or duplicate words.
            let mut words: Vec<String> = seed.split(' ').map(str::to_owned).collect();
            for _ in 0..rng.random_range(1..=4) {
                let i = rng.random_range(0..=words.len());
                let word = match rng.random_range(0..4) {
                    0 => pick(rng, EDGE_NUMBERS).to_string(),
                    1 => format!("'{}'", pick(rng, WEIRD_STRINGS)),
                    _ => pick(rng, TOKENS).to_string(),
                };
                match rng.random_range(0..4) {
                    0 if i < words.len() => words[i] = word,
                    1 if i < words.len() => {
                        words.remove(i);
                    }
                    2 if i < words.len() => {
                        let copy = words[i].clone();
                        words.insert(i, copy);
                    }
                    _ => words.insert(i, word),
                }
            }
            let separator = if rng.random_ratio(1, 8) { "\t\n" } else { " " };
            let mut text = words.join(separator).into_bytes();
            if rng.random_ratio(1, 4) {
                mutate::bytes_n(rng, &mut text, &[], TOKENS, 2);
            }
            text
        } else {
            let splice: Vec<&[u8]> = SEEDS.iter().map(|s| s.as_bytes()).collect();
            let mut text = seed.as_bytes().to_vec();
            mutate::bytes_n(rng, &mut text, &splice, TOKENS, 5);
            text
        }
    }

    fn run(&self, input: &[u8]) -> Result<String, String> {
        // The query arrives as a URL parameter or a text body: text, U+FFFD for other bytes.
        let text = String::from_utf8_lossy(input);
        let statement = match parse(&text) {
            Ok(statement) => statement,
            Err(QueryError::Parse(_)) => return Ok("err 4000 QueryParserError".into()),
            Err(QueryError::Validation(_)) => return Ok("err 4001 QueryValidationError".into()),
        };
        let rendered = render(&statement);
        match parse(&rendered) {
            Ok(again) if again == statement => {}
            other => {
                return Err(format!(
                    "{rendered:?} parses as {other:?}, not {statement:?}"
                ));
            }
        }
        Ok(match eval::run(&self.company, &statement) {
            Ok(_) => "ok ran".into(),
            Err(fault) => format!(
                "ok parsed, run refused {}",
                fault.errors.first().map_or("", |e| e.code.as_str())
            ),
        })
    }
}

/// Writes a statement back as query text (keywords upper-case, literals quoted and escaped).
fn render(statement: &Statement) -> String {
    let literal = |l: &Literal| match l {
        Literal::Text(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Literal::Number(n) => n.clone(),
        Literal::Bool(b) => b.to_string(),
    };
    let projection = match &statement.projection {
        Projection::All => "*".to_owned(),
        Projection::Count => "COUNT(*)".to_owned(),
        Projection::Columns(columns) => columns.join(", "),
    };
    let mut out = format!("SELECT {projection} FROM {}", statement.entity);
    for (i, c) in statement.conditions.iter().enumerate() {
        out.push_str(if i == 0 { " WHERE " } else { " AND " });
        let op = match c.op {
            Operator::Eq => "=",
            Operator::Lt => "<",
            Operator::Gt => ">",
            Operator::Le => "<=",
            Operator::Ge => ">=",
            Operator::In => "IN",
            Operator::Like => "LIKE",
        };
        let values: Vec<String> = c.values.iter().map(literal).collect();
        if c.op == Operator::In {
            out.push_str(&format!("{} IN ({})", c.property, values.join(", ")));
        } else {
            out.push_str(&format!("{} {op} {}", c.property, values.join(", ")));
        }
    }
    for (i, o) in statement.order_by.iter().enumerate() {
        out.push_str(if i == 0 { " ORDERBY " } else { ", " });
        out.push_str(&o.property);
        out.push_str(if o.descending { " DESC" } else { " ASC" });
    }
    if let Some(n) = statement.start_position {
        out.push_str(&format!(" STARTPOSITION {n}"));
    }
    if let Some(n) = statement.max_results {
        out.push_str(&format!(" MAXRESULTS {n}"));
    }
    out
}
