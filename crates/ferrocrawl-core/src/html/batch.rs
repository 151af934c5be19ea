//! Batch extraction: many pages, one set of named queries, all CPU cores, plain data out.
//! No Python anywhere, so the binding runs it with the GIL released.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::dom::{Document, NodeId};
use super::error::SelectorError;
use super::item::Item;
use super::query::Query;

/// Named queries compiled once for a batch; see [`Query::compile`] for how a string is
/// taken as CSS or XPath.
#[derive(Debug, Clone)]
pub struct Extractor {
    queries: Vec<(String, Query)>,
}

/// For one page: each query's results (parsel `.getall()`), in the extractor's query order.
pub type Extracted = Vec<Vec<String>>;

impl Extractor {
    pub fn new<N: AsRef<str>, Q: AsRef<str>>(queries: &[(N, Q)]) -> Result<Extractor, SelectorError> {
        let queries = queries
            .iter()
            .map(|(name, q)| Ok((name.as_ref().to_string(), Query::compile(q.as_ref())?)))
            .collect::<Result<_, SelectorError>>()?;
        Ok(Extractor { queries })
    }

    /// The query names, in result order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.queries.iter().map(|(n, _)| n.as_str())
    }

    /// Parses one page and runs every query on it.
    pub fn extract(&self, html: &str) -> Result<Extracted, SelectorError> {
        let doc = Document::parse(html, None);
        let root = Item::Node(NodeId::DOCUMENT);
        let mut items = Vec::new();
        self.queries
            .iter()
            .map(|(_, query)| {
                items.clear();
                query.select(&doc, &root, &mut items)?;
                Ok(items.iter().map(|i| doc.get(i)).collect())
            })
            .collect()
    }

    /// [`Extractor::extract`] over `pages` on `threads` threads (1 runs on the caller's
    /// thread). Results are in page order; a query that fails at run time (an XPath type
    /// error) gives that page an error.
    pub fn extract_many<S: AsRef<str> + Sync>(
        &self,
        pages: &[S],
        threads: usize,
    ) -> Vec<Result<Extracted, SelectorError>> {
        let threads = threads.clamp(1, pages.len().max(1));
        if threads == 1 {
            return pages.iter().map(|p| self.extract(p.as_ref())).collect();
        }
        let next = AtomicUsize::new(0);
        let mut results: Vec<Option<Result<Extracted, SelectorError>>> = Vec::new();
        results.resize_with(pages.len(), || None);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(page) = pages.get(i) else { break };
                            done.push((i, self.extract(page.as_ref())));
                        }
                        done
                    })
                })
                .collect();
            for worker in workers {
                let done = worker.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                for (i, result) in done {
                    results[i] = Some(result);
                }
            }
        });
        results.into_iter().map(|r| r.expect("every page is taken by a worker")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_pages_in_order_on_threads() {
        let pages: Vec<String> = (0..50)
            .map(|i| format!("<title>t{i}</title><a href='/{i}'>x</a><a href='/{i}b'>y</a>"))
            .collect();
        let extractor =
            Extractor::new(&[("title", "title::text"), ("hrefs", "//a/@href"), ("count", "count(//a)")])
                .unwrap();
        assert_eq!(extractor.names().collect::<Vec<_>>(), ["title", "hrefs", "count"]);
        let one = extractor.extract_many(&pages, 1);
        let four = extractor.extract_many(&pages, 4);
        assert_eq!(one, four);
        assert_eq!(
            four[7].as_ref().unwrap(),
            &vec![vec!["t7".to_string()], vec!["/7".into(), "/7b".into()], vec!["2.0".into()]]
        );
        assert!(Extractor::new(&[("bad", "//a[")]).is_err());
        let failing = Extractor::new(&[("x", "xpath:count('a')")]).unwrap();
        assert!(failing.extract_many(&pages[..2], 2).iter().all(Result::is_err));
    }
}
