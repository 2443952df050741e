//! The byte form of a multi-field fuzz input (method, URL, body, headers): length-prefixed
//! fields, decoded totally so every byte string (after mutation or minimizing) is a request.

/// Encodes fields as `u32` little-endian length + bytes each.
pub fn encode<I, F>(fields: I) -> Vec<u8>
where
    I: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut out = Vec::new();
    for field in fields {
        let field = field.as_ref();
        out.extend_from_slice(&(field.len() as u32).to_le_bytes());
        out.extend_from_slice(field);
    }
    out
}

/// Decodes any bytes into fields: a length running past the end takes the rest, a tail shorter
/// than a length prefix is one last field of its own.
pub fn decode(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 4 {
            fields.push(bytes);
            break;
        }
        let len = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        let rest = &bytes[4..];
        let len = len.min(rest.len());
        fields.push(&rest[..len]);
        bytes = &rest[len..];
    }
    fields
}

/// Field `i` as text (lossy: the HTTP layer hands the parsers text headers), empty if absent.
pub fn text(fields: &[&[u8]], i: usize) -> String {
    fields
        .get(i)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_survive_encoding_and_any_bytes_decode() {
        let bytes = encode(["POST", "", "https://x/y"]);
        assert_eq!(
            decode(&bytes),
            vec![&b"POST"[..], &b""[..], &b"https://x/y"[..]]
        );
        assert_eq!(decode(&[200, 0, 0, 0, b'a']), vec![&b"a"[..]]);
        assert_eq!(decode(&[1, 2]), vec![&[1u8, 2][..]]);
    }
}
