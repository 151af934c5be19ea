//! Charset sniffing and decoding: any body with any Content-Type and any encoding label goes
//! through `detect`/`decode`/`decode_with`/`decode_strict` without a panic. Cross-checks:
//!
//! - the three error modes agree: strict succeeds exactly when replace reports no errors, with
//!   the same text; ignore drops exactly the U+FFFD that replace inserted;
//! - a strict error's byte range lies inside the body; for UTF-8 its start is std's
//!   `valid_up_to` (the reference UTF-8 validator), after the BOM;
//! - a body with a BOM is decoded by the BOM's encoding; a pure-ASCII body with no
//!   declaration is UTF-8 and comes back unchanged;
//! - `content_type_charset` returns a trimmed, non-empty slice.
#![no_main]

use ferrocrawl_core::charset::{
    content_type_charset, decode, decode_strict, decode_with, detect, encoding_for_label, CharsetSource,
    ErrorMode,
};
use libfuzzer_sys::fuzz_target;

/// Input: `content-type \n label NUL body`; an empty content-type line is no header. Without
/// a NUL the whole input is the body (no header, label `utf-8`).
fn split(data: &[u8]) -> (Option<&str>, &str, &[u8]) {
    let Some(nul) = data.iter().position(|&b| b == 0) else { return (None, "utf-8", data) };
    let head = std::str::from_utf8(&data[..nul]).unwrap_or("");
    let (ct, label) = head.split_once('\n').unwrap_or((head, ""));
    ((!ct.is_empty()).then_some(ct), label, &data[nul + 1..])
}

fuzz_target!(|data: &[u8]| {
    let (content_type, label, body) = split(data);

    if let Some(ct) = content_type {
        if let Some(cs) = content_type_charset(ct) {
            assert!(!cs.is_empty() && cs.trim() == cs, "{ct:?} -> {cs:?}");
        }
    }

    let (encoding, source) = detect(body, content_type);
    let d = decode(body, content_type);
    assert_eq!((d.encoding, d.source), (encoding, source));
    let _ = d.charset();
    if let Some((bom_encoding, _)) = encoding_rs::Encoding::for_bom(body) {
        assert_eq!((encoding, source), (bom_encoding, CharsetSource::Bom));
    }
    if source == CharsetSource::Default && body.is_ascii() {
        assert_eq!(d.text.as_bytes(), body);
    }

    // The caller-named paths, with the fuzzed label and with the sniffed encoding's name.
    for label in [label, encoding.name()] {
        let Ok(named) = encoding_for_label(label) else {
            assert!(decode_with(body, label, ErrorMode::Replace).is_err());
            continue;
        };
        let replaced = decode_with(body, label, ErrorMode::Replace).expect("known label");
        let ignored = decode_with(body, label, ErrorMode::Ignore).expect("known label");
        let strict = decode_with(body, label, ErrorMode::Strict);
        assert_eq!(replaced.encoding, named);
        match &strict {
            Ok(s) => {
                assert!(!replaced.had_errors, "strict ok but replace had errors ({label:?})");
                assert_eq!(s.text, replaced.text);
            }
            Err(_) => assert!(replaced.had_errors, "strict failed but replace had no errors ({label:?})"),
        }
        assert_eq!(ignored.had_errors, replaced.had_errors, "{label:?}");
        assert_eq!(
            ignored.text.replace('\u{fffd}', ""),
            replaced.text.replace('\u{fffd}', ""),
            "ignore and replace disagree ({label:?})"
        );
        match decode_strict(body, named) {
            Ok(text) => assert!(strict.is_ok() && text == replaced.text),
            Err(e) => {
                assert!(e.start <= e.end && e.end <= body.len(), "{e:?} in {} bytes", body.len());
                let _ = e.to_string();
                if named == encoding_rs::UTF_8 {
                    let bom = if body.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
                    let std_err = std::str::from_utf8(&body[bom..]).expect_err("std accepts it");
                    assert_eq!(e.start, bom + std_err.valid_up_to(), "{e:?} vs std {std_err:?}");
                }
            }
        }
    }
});
