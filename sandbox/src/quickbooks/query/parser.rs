//! Parses a QBO query statement (docs/quickbooks.md §6) into a [`Statement`]: `SELECT *` or
//! `COUNT(*)`, `WHERE` comparisons joined by `AND`, `ORDERBY`, `STARTPOSITION`, `MAXRESULTS`.
//! Hand-written (a dozen tokens; no grammar crate needed) so errors carry QBO's wording (§6.1).

/// What the statement selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    All,
    Count,
    /// A column list; QBO documents projections as unsupported (§6).
    Columns(Vec<String>),
}

/// A comparison operator (§6: `= < > <= >= IN LIKE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    Like,
}

/// A literal value: quoted text (with `\'` unescaped), a bare number, or a boolean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    Text(String),
    Number(String),
    Bool(bool),
}

impl Literal {
    /// The value as text (numbers and booleans as written).
    pub fn as_text(&self) -> String {
        match self {
            Literal::Text(s) | Literal::Number(s) => s.clone(),
            Literal::Bool(b) => b.to_string(),
        }
    }
}

/// `property op value(s)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub property: String,
    pub op: Operator,
    /// One value, or the list of an `IN`.
    pub values: Vec<Literal>,
}

/// One `ORDERBY` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    pub property: String,
    pub descending: bool,
}

/// A parsed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub projection: Projection,
    pub entity: String,
    pub conditions: Vec<Comparison>,
    pub order_by: Vec<OrderBy>,
    pub start_position: Option<u64>,
    pub max_results: Option<u64>,
}

/// Why a statement was rejected: `Parse` is 4000 `QueryParserError`, `Validation` is 4001
/// `QueryValidationError` (§6.1); the text is the Detail after the prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("QueryParserError: {0}")]
    Parse(String),
    #[error("QueryValidationError: {0}")]
    Validation(String),
}

/// §6: `MAXRESULTS` at most 1000 (rejected above, not clamped).
pub const MAX_RESULTS_LIMIT: u64 = 1000;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Text(String),
    Number(String),
    Star,
    LParen,
    RParen,
    Comma,
    Op(&'static str),
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!(" <IDENTIFIER> \"{s} \""),
            Tok::Text(s) => format!(" <STRING> \"'{s}' \""),
            Tok::Number(s) => format!(" <INTEGER> \"{s} \""),
            Tok::Star => "\"*\"".into(),
            Tok::LParen => "\"(\"".into(),
            Tok::RParen => "\")\"".into(),
            Tok::Comma => "\",\"".into(),
            Tok::Op(o) => format!("\"{o}\""),
            Tok::Eof => "<EOF>".into(),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
}

/// Splits the statement into tokens with their 1-based columns.
fn lex(input: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(QueryError::Parse(format!(
                                "Invalid content. Lexical error at line 1, column {}.  Encountered: <EOF> after : \"'{s}\"",
                                chars.len() + 1
                            )));
                        }
                        Some('\\') if chars.get(i + 1).is_some() => {
                            s.push(chars[i + 1]);
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            s.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push((Tok::Text(s), col));
            }
            '*' => {
                out.push((Tok::Star, col));
                i += 1;
            }
            '(' => {
                out.push((Tok::LParen, col));
                i += 1;
            }
            ')' => {
                out.push((Tok::RParen, col));
                i += 1;
            }
            ',' => {
                out.push((Tok::Comma, col));
                i += 1;
            }
            '=' => {
                out.push((Tok::Op("="), col));
                i += 1;
            }
            '<' | '>' => {
                let op = match (c, chars.get(i + 1)) {
                    ('<', Some('=')) => "<=",
                    ('>', Some('=')) => ">=",
                    ('<', _) => "<",
                    _ => ">",
                };
                i += op.len();
                out.push((Tok::Op(op), col));
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                out.push((Tok::Number(chars[start..i].iter().collect()), col));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
                {
                    i += 1;
                }
                out.push((Tok::Ident(chars[start..i].iter().collect()), col));
            }
            other => {
                return Err(QueryError::Parse(format!(
                    "Invalid content. Lexical error at line 1, column {col}.  Encountered: \"{other}\" ({}), after : \"\"",
                    other as u32
                )));
            }
        }
    }
    out.push((Tok::Eof, chars.len() + 1));
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn next(&mut self) -> Tok {
        let t = self.toks[self.pos].0.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn unexpected(&self, expecting: &[&str]) -> QueryError {
        let (tok, col) = &self.toks[self.pos];
        let list: String = expecting.iter().map(|e| format!("    {e} ...\n")).collect();
        QueryError::Parse(format!(
            "Encountered \"{}\" at line 1, column {col}.\nWas expecting one of:\n{list}",
            tok.describe()
        ))
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), QueryError> {
        if self.peek().is_kw(kw) {
            self.next();
            Ok(())
        } else {
            Err(self.unexpected(&[&format!("\"{}\"", kw.to_lowercase())]))
        }
    }

    fn ident(&mut self) -> Result<String, QueryError> {
        match self.peek().clone() {
            Tok::Ident(s) if !is_reserved(&s) => {
                self.next();
                Ok(s)
            }
            _ => Err(self.unexpected(&["<IDENTIFIER>"])),
        }
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        match self.peek().clone() {
            Tok::Text(s) => {
                self.next();
                Ok(Literal::Text(s))
            }
            Tok::Number(n) => {
                self.next();
                Ok(Literal::Number(n))
            }
            Tok::Ident(s) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => {
                self.next();
                Ok(Literal::Bool(s.eq_ignore_ascii_case("true")))
            }
            _ => Err(self.unexpected(&["<STRING>", "<INTEGER>", "\"true\"", "\"false\""])),
        }
    }

    fn number(&mut self) -> Result<u64, QueryError> {
        match self.peek().clone() {
            Tok::Number(n) => {
                self.next();
                let value: i64 = n
                    .parse()
                    .map_err(|_| QueryError::Validation(format!("value {n} is not an integer")))?;
                if value < 1 {
                    return Err(QueryError::Validation(format!(
                        "value {value} is too small. Min allowed value is 1"
                    )));
                }
                Ok(value as u64)
            }
            _ => Err(self.unexpected(&["<INTEGER>"])),
        }
    }

    fn comparison(&mut self) -> Result<Comparison, QueryError> {
        let property = self.ident()?;
        let tok = self.next();
        let (op, values) = match tok {
            Tok::Op(o) => {
                let op = match o {
                    "=" => Operator::Eq,
                    "<" => Operator::Lt,
                    ">" => Operator::Gt,
                    "<=" => Operator::Le,
                    _ => Operator::Ge,
                };
                (op, vec![self.literal()?])
            }
            t if t.is_kw("LIKE") => (Operator::Like, vec![self.literal()?]),
            t if t.is_kw("IN") => {
                if !matches!(self.next(), Tok::LParen) {
                    self.pos -= 1;
                    return Err(self.unexpected(&["\"(\""]));
                }
                let mut values = vec![self.literal()?];
                loop {
                    match self.next() {
                        Tok::Comma => values.push(self.literal()?),
                        Tok::RParen => break,
                        _ => {
                            self.pos -= 1;
                            return Err(self.unexpected(&["\",\"", "\")\""]));
                        }
                    }
                }
                (Operator::In, values)
            }
            _ => {
                self.pos -= 1;
                return Err(self.unexpected(&["\"=\"", "\"<\"", "\">\"", "\"in\"", "\"like\""]));
            }
        };
        Ok(Comparison {
            property,
            op,
            values,
        })
    }
}

const RESERVED: &[&str] = &[
    "select",
    "from",
    "where",
    "and",
    "or",
    "in",
    "like",
    "orderby",
    "order",
    "by",
    "asc",
    "desc",
    "startposition",
    "maxresults",
    "count",
    "join",
    "group",
];

fn is_reserved(s: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

/// Parses `statement`. Keywords and names are case-insensitive (§6).
pub fn parse(statement: &str) -> Result<Statement, QueryError> {
    let toks = lex(statement)?;
    if toks.len() == 1 {
        return Err(QueryError::Parse(
            "Encountered \"<EOF>\" at line 0, column 0.\nWas expecting:\n    \"select\" ...\n    "
                .into(),
        ));
    }
    let mut p = Parser { toks, pos: 0 };
    p.expect_kw("SELECT")?;
    let projection = match p.peek().clone() {
        Tok::Star => {
            p.next();
            Projection::All
        }
        t if t.is_kw("COUNT") => {
            p.next();
            for want in [Tok::LParen, Tok::Star, Tok::RParen] {
                if p.next() != want {
                    p.pos -= 1;
                    return Err(p.unexpected(&[&want.describe()]));
                }
            }
            Projection::Count
        }
        _ => {
            let mut cols = vec![p.ident()?];
            while matches!(p.peek(), Tok::Comma) {
                p.next();
                cols.push(p.ident()?);
            }
            Projection::Columns(cols)
        }
    };
    p.expect_kw("FROM")?;
    let entity = p.ident()?;
    let mut statement = Statement {
        projection,
        entity,
        conditions: Vec::new(),
        order_by: Vec::new(),
        start_position: None,
        max_results: None,
    };
    if p.peek().is_kw("WHERE") {
        p.next();
        statement.conditions.push(p.comparison()?);
        loop {
            if p.peek().is_kw("AND") {
                p.next();
                statement.conditions.push(p.comparison()?);
            } else if p.peek().is_kw("OR") {
                // §6.1: OR is a grammar token but unsupported; the stand-in rejects it with
                // 4001 (UNVERIFIED wording, no capture exists).
                return Err(QueryError::Validation(
                    "OR operator in WHERE clause is not supported".into(),
                ));
            } else {
                break;
            }
        }
    }
    if p.peek().is_kw("ORDERBY") || p.peek().is_kw("ORDER") {
        if p.next().is_kw("ORDER") {
            p.expect_kw("BY")?;
        }
        loop {
            let property = p.ident()?;
            let descending = if p.peek().is_kw("DESC") {
                p.next();
                true
            } else {
                if p.peek().is_kw("ASC") {
                    p.next();
                }
                false
            };
            statement.order_by.push(OrderBy {
                property,
                descending,
            });
            if !matches!(p.peek(), Tok::Comma) {
                break;
            }
            p.next();
        }
    }
    loop {
        if p.peek().is_kw("STARTPOSITION") && statement.start_position.is_none() {
            p.next();
            statement.start_position = Some(p.number()?);
        } else if p.peek().is_kw("MAXRESULTS") && statement.max_results.is_none() {
            p.next();
            let n = p.number()?;
            if n > MAX_RESULTS_LIMIT {
                return Err(QueryError::Validation(format!(
                    "value {n} is too large. Max allowed value is {MAX_RESULTS_LIMIT}"
                )));
            }
            statement.max_results = Some(n);
        } else {
            break;
        }
    }
    if !matches!(p.peek(), Tok::Eof) {
        return Err(p.unexpected(&[
            "<EOF>",
            "<AND>",
            "\"maxresults\"",
            "<OR>",
            "\"orderby\"",
            "\"startposition\"",
        ]));
    }
    Ok(statement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_statement_case_insensitively() {
        let s = parse(
            "select * from customer where PrimaryEmailAddr = 'ann@example.com' and Active IN (true,false) \
             orderby Metadata.LastUpdatedTime desc startposition 11 maxresults 1000",
        )
        .unwrap();
        assert_eq!(s.projection, Projection::All);
        assert_eq!(s.entity, "customer");
        assert_eq!(s.conditions.len(), 2);
        assert_eq!(s.conditions[1].op, Operator::In);
        assert_eq!(
            s.conditions[1].values,
            vec![Literal::Bool(true), Literal::Bool(false)]
        );
        assert_eq!(s.order_by[0].property, "Metadata.LastUpdatedTime");
        assert!(s.order_by[0].descending);
        assert_eq!(s.start_position, Some(11));
        assert_eq!(s.max_results, Some(1000));
    }

    #[test]
    fn unescapes_quotes_and_keeps_like_patterns() {
        let s = parse("SELECT * FROM Customer WHERE DisplayName LIKE 'O\\'Brien%'").unwrap();
        assert_eq!(s.conditions[0].op, Operator::Like);
        assert_eq!(
            s.conditions[0].values,
            vec![Literal::Text("O'Brien%".into())]
        );
    }

    #[test]
    fn count_and_comparisons() {
        let s =
            parse("SELECT COUNT(*) FROM Invoice WHERE TotalAmt >= 10.5 AND Balance < '3'").unwrap();
        assert_eq!(s.projection, Projection::Count);
        assert_eq!(s.conditions[0].op, Operator::Ge);
        assert_eq!(s.conditions[0].values, vec![Literal::Number("10.5".into())]);
        assert_eq!(s.conditions[1].op, Operator::Lt);
    }

    #[test]
    fn out_of_range_paging_is_a_validation_error() {
        assert_eq!(
            parse("SELECT * FROM Item MAXRESULTS 1500"),
            Err(QueryError::Validation(
                "value 1500 is too large. Max allowed value is 1000".into()
            ))
        );
        assert_eq!(
            parse("SELECT * FROM Item STARTPOSITION 0"),
            Err(QueryError::Validation(
                "value 0 is too small. Min allowed value is 1".into()
            ))
        );
    }

    #[test]
    fn or_is_a_validation_error_and_join_a_parse_error() {
        assert!(matches!(
            parse("SELECT * FROM Customer WHERE DisplayName = 'a' OR DisplayName = 'b'"),
            Err(QueryError::Validation(_))
        ));
        assert!(matches!(
            parse("SELECT * FROM Customer JOIN Invoice"),
            Err(QueryError::Parse(d)) if d.contains("JOIN")
        ));
    }

    #[test]
    fn syntax_errors_say_where() {
        let Err(QueryError::Parse(d)) = parse("SELECT * FROM Customer WHERE DisplayName = 'a' R")
        else {
            panic!("expected a parse error");
        };
        assert!(d.contains("column 48"), "{d}");
        assert!(matches!(parse(""), Err(QueryError::Parse(d)) if d.contains("<EOF>")));
        assert!(matches!(
            parse("SELECT * FROM Customer WHERE Name = 'unterminated"),
            Err(QueryError::Parse(_))
        ));
        assert!(
            matches!(parse("SELECT * FROM Customer WHERE Name % 'x'"), Err(QueryError::Parse(d)) if d.contains("Lexical error"))
        );
    }
}
