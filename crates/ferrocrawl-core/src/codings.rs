//! Content-Encoding, undone by us rather than by reqwest: reqwest decodes a header that is
//! exactly one known coding and passes a list (`gzip, gzip`) through undecoded, or decodes
//! one of two header lines and drops both. A response may stack codings (RFC 9110 §8.4,
//! listed in the order applied); we decode up to [`MAX_CODINGS`] of them, as curl does since
//! CVE-2022-32206, counting every decoded byte against the body limit so a bomb stops there.

use std::io::Read;

use reqwest::header::{HeaderMap, CONTENT_ENCODING};

/// Stacked codings decoded at most; more is an error, not a loop over attacker's layers.
pub const MAX_CODINGS: usize = 5;

/// What `Accept-Encoding` offers when the caller did not set one.
pub const ACCEPTED: &str = "gzip, deflate, br, zstd";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

/// The codings to undo, in the order applied; `Ok(None)` when one is unknown (the body is
/// then kept as sent, its header with it, so the caller can see why).
pub fn parse(headers: &HeaderMap) -> Result<Option<Vec<Coding>>, String> {
    let mut out = Vec::new();
    for value in headers.get_all(CONTENT_ENCODING) {
        let Ok(value) = value.to_str() else { return Ok(None) };
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let coding = match name.to_ascii_lowercase().as_str() {
                "identity" => continue,
                "gzip" | "x-gzip" => Coding::Gzip,
                "deflate" => Coding::Deflate,
                "br" => Coding::Brotli,
                "zstd" => Coding::Zstd,
                _ => return Ok(None),
            };
            out.push(coding);
        }
    }
    if out.len() > MAX_CODINGS {
        return Err(format!("{} content codings; at most {MAX_CODINGS} are decoded", out.len()));
    }
    Ok(Some(out))
}

/// Why a decode stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// More than `limit` decoded bytes.
    TooLarge,
    Invalid(String),
}

/// Undoes `codings` (outermost last) on `body`, producing at most `limit` bytes.
pub fn decode(body: &[u8], codings: &[Coding], limit: u64) -> Result<Vec<u8>, DecodeError> {
    let mut reader: Box<dyn Read + '_> = Box::new(body);
    for coding in codings.iter().rev() {
        reader = match coding {
            Coding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(reader)),
            Coding::Deflate => deflate(reader),
            Coding::Brotli => Box::new(brotli_decompressor::Decompressor::new(reader, 64 * 1024)),
            Coding::Zstd => Box::new(
                zstd::stream::read::Decoder::new(reader).map_err(|e| DecodeError::Invalid(e.to_string()))?,
            ),
        };
    }
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(8 << 20));
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Invalid(format!("cannot decode the {} body: {e}", names(codings))))?;
    if out.len() as u64 > limit {
        return Err(DecodeError::TooLarge);
    }
    Ok(out)
}

/// `deflate` means zlib-wrapped (RFC 9110 §8.4.1.2), but some servers send raw deflate;
/// browsers take both, so do we, telling them apart by the zlib header.
fn deflate<'a>(mut reader: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match reader.read(&mut head[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let zlib = got == 2 && head[0] & 0x0f == 8 && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0;
    let reader = std::io::Cursor::new(head[..got].to_vec()).chain(reader);
    if zlib {
        Box::new(flate2::read::ZlibDecoder::new(reader))
    } else {
        Box::new(flate2::read::DeflateDecoder::new(reader))
    }
}

fn names(codings: &[Coding]) -> String {
    let name = |c: &Coding| match c {
        Coding::Gzip => "gzip",
        Coding::Deflate => "deflate",
        Coding::Brotli => "br",
        Coding::Zstd => "zstd",
    };
    codings.iter().map(name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for line in lines {
            h.append(CONTENT_ENCODING, HeaderValue::from_str(line).unwrap());
        }
        h
    }

    fn encode(data: &[u8], coding: Coding) -> Vec<u8> {
        match coding {
            Coding::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Coding::Deflate => {
                let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            Coding::Zstd => zstd::stream::encode_all(data, 1).unwrap(),
            Coding::Brotli => unreachable!("not needed: brotli's encoder is not a dependency"),
        }
    }

    #[test]
    fn lists_and_repeated_lines_are_read_in_order() {
        use Coding::{Deflate, Gzip, Zstd};
        assert_eq!(parse(&headers(&["gzip, zstd"])).unwrap(), Some(vec![Gzip, Zstd]));
        assert_eq!(parse(&headers(&["gzip", "Deflate"])).unwrap(), Some(vec![Gzip, Deflate]));
        assert_eq!(parse(&headers(&["identity", ""])).unwrap(), Some(vec![]));
        assert_eq!(parse(&headers(&["gzip, compress"])).unwrap(), None, "unknown: kept as sent");
        let six = parse(&headers(&["gzip, gzip, gzip", "gzip, gzip, gzip"])).unwrap_err();
        assert_eq!(six, "6 content codings; at most 5 are decoded");
    }

    #[test]
    fn stacked_codings_are_undone_outermost_first() {
        let once = encode(b"hello", Coding::Zstd);
        let twice = encode(&once, Coding::Gzip);
        let body = encode(&twice, Coding::Deflate);
        let out = decode(&body, &[Coding::Zstd, Coding::Gzip, Coding::Deflate], 100).unwrap();
        assert_eq!(out, b"hello");
    }

    #[test]
    fn raw_deflate_is_taken_too() {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"raw deflate").unwrap();
        assert_eq!(decode(&e.finish().unwrap(), &[Coding::Deflate], 100).unwrap(), b"raw deflate");
    }

    #[test]
    fn a_bomb_stops_at_the_limit_and_garbage_is_an_error() {
        let bomb = encode(&encode(&vec![0u8; 10 << 20], Coding::Gzip), Coding::Gzip);
        assert!(bomb.len() < 64 * 1024);
        assert_eq!(decode(&bomb, &[Coding::Gzip, Coding::Gzip], 1 << 20), Err(DecodeError::TooLarge));
        match decode(b"not gzip at all", &[Coding::Gzip], 100) {
            Err(DecodeError::Invalid(why)) => assert!(why.contains("gzip"), "{why}"),
            other => panic!("{other:?}"),
        }
        // a body cut short is an error, not short data
        let cut = encode(b"a longer body that gets cut", Coding::Gzip);
        assert!(matches!(decode(&cut[..cut.len() - 6], &[Coding::Gzip], 100), Err(DecodeError::Invalid(_))));
    }
}
