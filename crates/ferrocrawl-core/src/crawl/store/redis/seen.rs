//! The seen-set's layout and the arguments a push gives the step script for one fingerprint.
//!
//! Exact: fingerprints as integers in `2^bits` sets per partition, sized so a set holds about
//! 256 at the expected size. Redis keeps a set of at most 512 integers as an intset (8 bytes
//! an entry, no pointers), so the exact set costs about 10 bytes per URL; past twice the
//! expected size sets turn into hash tables (about 60 bytes per URL), still exact.
//!
//! Bloom: one bitmap per partition, `k` bit offsets per fingerprint by double hashing
//! (Kirsch-Mitzenmacher), sized for the expected URLs at the wanted false-positive rate. A
//! false positive is a URL never crawled, so it is an option, not the default.

use xxhash_rust::xxh3::xxh3_64;

use super::options::SeenKind;
use crate::crawl::frontier::Fingerprint;
use crate::{Error, Result};

/// Fingerprints a set holds at the expected size (half of Redis's intset limit of 512).
const PER_SET: u64 = 256;
/// A Redis string holds at most 512 MiB: bits of one partition's Bloom filter.
const MAX_BLOOM_BITS: u64 = 1 << 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenSet {
    Exact { bits: u32 },
    Bloom { bits: u64, k: u32 },
}

impl SeenSet {
    /// The layout for a new crawl of `expected` URLs over `partitions`.
    pub fn plan(kind: SeenKind, expected: u64, partitions: u32) -> Result<SeenSet> {
        let per_partition = expected.div_ceil(u64::from(partitions)).max(1);
        match kind {
            SeenKind::Exact => {
                let sets = per_partition.div_ceil(PER_SET).next_power_of_two();
                Ok(SeenSet::Exact { bits: sets.trailing_zeros().min(24) })
            }
            SeenKind::Bloom { fp_rate } => {
                #[allow(clippy::cast_precision_loss)]
                let n = per_partition as f64;
                let ln2 = std::f64::consts::LN_2;
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let bits = ((-n * fp_rate.ln() / (ln2 * ln2)).ceil() as u64).div_ceil(8) * 8;
                if bits > MAX_BLOOM_BITS {
                    return Err(Error::InvalidArgument {
                        what: "frontier",
                        reason: format!(
                            "a Bloom filter for {expected} URLs at fp_rate={fp_rate} needs {bits} bits per \
                             partition, more than a Redis string holds: raise partitions="
                        ),
                    });
                }
                #[allow(
                    clippy::cast_precision_loss,
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss
                )]
                let k = ((bits as f64 / n) * ln2).round().max(1.0) as u32;
                Ok(SeenSet::Bloom { bits, k })
            }
        }
    }

    /// How the layout is written in the crawl's meta hash, and read back.
    pub fn to_meta(self) -> String {
        match self {
            SeenSet::Exact { bits } => format!("exact:{bits}"),
            SeenSet::Bloom { bits, k } => format!("bloom:{bits}:{k}"),
        }
    }

    pub fn from_meta(s: &str) -> Option<SeenSet> {
        let mut parts = s.split(':');
        let set = match parts.next()? {
            "exact" => SeenSet::Exact { bits: parts.next()?.parse().ok().filter(|b| *b <= 24)? },
            "bloom" => SeenSet::Bloom {
                bits: parts.next()?.parse().ok().filter(|b| (8..=MAX_BLOOM_BITS).contains(b))?,
                k: parts.next()?.parse().ok().filter(|k| (1..=64).contains(k))?,
            },
            _ => return None,
        };
        parts.next().is_none().then_some(set)
    }

    /// Arguments per push (the script's `seen_args`): 2 for exact, `k` for Bloom.
    pub fn args_per_push(self) -> usize {
        match self {
            SeenSet::Exact { .. } => 2,
            SeenSet::Bloom { k, .. } => k as usize,
        }
    }

    /// Appends the seen-set arguments of `fp`.
    pub fn push_args(self, fp: Fingerprint, out: &mut Vec<Vec<u8>>) {
        match self {
            SeenSet::Exact { bits } => {
                let set = if bits == 0 { 0 } else { fp >> (64 - bits) };
                out.push(set.to_string().into_bytes());
                // The same 64 bits, as the signed integer an intset stores.
                #[allow(clippy::cast_possible_wrap)]
                out.push((fp as i64).to_string().into_bytes());
            }
            SeenSet::Bloom { bits, k } => {
                let h2 = xxh3_64(&fp.to_le_bytes()) | 1;
                for i in 0..u64::from(k) {
                    out.push((fp.wrapping_add(i.wrapping_mul(h2)) % bits).to_string().into_bytes());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sets_hold_about_256() {
        assert_eq!(SeenSet::plan(SeenKind::Exact, 1_000_000, 1).unwrap(), SeenSet::Exact { bits: 12 });
        assert_eq!(SeenSet::plan(SeenKind::Exact, 100, 4).unwrap(), SeenSet::Exact { bits: 0 });
        let mut args = Vec::new();
        SeenSet::Exact { bits: 12 }.push_args(u64::MAX, &mut args);
        assert_eq!(args, [b"4095".to_vec(), b"-1".to_vec()]);
    }

    #[test]
    fn bloom_is_sized_by_the_textbook_formula() {
        // 1e6 at 1%: 9.59 bits and 7 hashes per URL.
        let SeenSet::Bloom { bits, k } =
            SeenSet::plan(SeenKind::Bloom { fp_rate: 0.01 }, 1_000_000, 1).unwrap()
        else {
            panic!()
        };
        assert!((9_585_000..9_590_000).contains(&bits), "{bits}");
        assert_eq!(k, 7);
        let mut args = Vec::new();
        SeenSet::Bloom { bits, k }.push_args(42, &mut args);
        assert_eq!(args.len(), 7);
        assert!(args.iter().all(|a| std::str::from_utf8(a).unwrap().parse::<u64>().unwrap() < bits));
        assert!(SeenSet::plan(SeenKind::Bloom { fp_rate: 1e-9 }, 1_000_000_000, 1).is_err());
    }

    #[test]
    fn meta_round_trips() {
        for s in [SeenSet::Exact { bits: 7 }, SeenSet::Bloom { bits: 1024, k: 5 }] {
            assert_eq!(SeenSet::from_meta(&s.to_meta()), Some(s));
        }
        assert_eq!(SeenSet::from_meta("exact:99"), None);
        assert_eq!(SeenSet::from_meta("bloom:0:1"), None);
    }
}
