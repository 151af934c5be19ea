//! `ferrocrawl.Sink`: the crawl's item sinks for items made in Python. Items are converted
//! to plain Rust data at the call (in one pass, with the GIL); the writer task batches them.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::Value;
use tokio::sync::Mutex;

use ferrocrawl_core::sink::{Column, Item, Sink as CoreSink, SinkOptions, SinkSpec};
use ferrocrawl_core::Error;

use crate::awaitable::Pending;
use crate::bridge::Deliver;
use crate::errors;

enum Slot {
    Unopened,
    Open(CoreSink),
    Closed,
}

/// An item sink: `await sink.put(item)` queues a mapping, written from Rust in batches.
#[pyclass(subclass, module = "ferrocrawl._ferrocrawl")]
pub struct Sink {
    spec: SinkSpec,
    plan: Option<Vec<Column>>,
    opts: SinkOptions,
    slot: Arc<Mutex<Slot>>,
}

fn json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    Ok(if obj.is_none() {
        Value::Null
    } else if let Ok(s) = obj.cast::<PyString>() {
        Value::String(s.to_str()?.to_owned())
    } else if let Ok(b) = obj.cast::<PyBool>() {
        Value::Bool(b.is_true())
    } else if obj.is_instance_of::<PyInt>() {
        match (obj.extract::<i64>(), obj.extract::<u64>()) {
            (Ok(i), _) => Value::from(i),
            (_, Ok(u)) => Value::from(u),
            // beyond 64 bits: its digits
            _ => Value::String(obj.str()?.to_string()),
        }
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        // NaN and infinities have no JSON form
        serde_json::Number::from_f64(f.value()).map_or(Value::Null, Value::Number)
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Value::String(String::from_utf8_lossy(b.as_bytes()).into_owned())
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        Value::Array(obj.try_iter()?.map(|v| json(&v?)).collect::<PyResult<_>>()?)
    } else if let Ok(d) = obj.cast::<PyMapping>() {
        let mut map = serde_json::Map::new();
        for pair in d.items()?.iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair.extract()?;
            map.insert(k.str()?.to_string(), json(&v)?);
        }
        Value::Object(map)
    } else {
        Value::String(obj.str()?.to_string())
    })
}

/// A mapping as an item, field order kept.
pub fn item(obj: &Bound<'_, PyAny>) -> PyResult<Item> {
    let key = |k: &Bound<'_, PyAny>| -> PyResult<String> {
        let name = k.cast::<PyString>().map_err(|_| PyTypeError::new_err("item keys must be str"))?;
        Ok(name.to_str()?.to_owned())
    };
    let mut fields = Vec::new();
    if let Ok(d) = obj.cast::<PyDict>() {
        // the common case, without a list of pairs in between
        fields.reserve(d.len());
        for (k, v) in d.iter() {
            fields.push((key(&k)?, json(&v)?));
        }
    } else if let Ok(m) = obj.cast::<PyMapping>() {
        for pair in m.items()?.iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = pair.extract()?;
            fields.push((key(&k)?, json(&v)?));
        }
    } else {
        return Err(PyTypeError::new_err(format!(
            "an item is a mapping (a dict), not {}",
            obj.get_type().name()?
        )));
    }
    Ok(Item { fields })
}

impl Sink {
    /// A coroutine running `op` on the open sink (opening it first).
    fn run<F>(&self, op: F) -> Pending
    where
        F: for<'a> FnOnce(
                &'a mut CoreSink,
            ) -> futures_util::future::BoxFuture<'a, ferrocrawl_core::Result<()>>
            + Send
            + 'static,
    {
        let slot = self.slot.clone();
        let (spec, plan, opts) = (self.spec.clone(), self.plan.clone(), self.opts);
        Pending::new(async move {
            let result = async {
                let mut slot = slot.lock().await;
                if matches!(*slot, Slot::Unopened) {
                    *slot = Slot::Open(CoreSink::open(spec.clone(), plan, opts, None, None).await?);
                }
                match &mut *slot {
                    Slot::Open(sink) => op(sink).await,
                    _ => Err(Error::Sink { sink: spec.display.clone(), reason: "closed".into() }),
                }
            }
            .await;
            Box::new(move |py: Python<'_>| match result {
                Ok(()) => Ok(py.None()),
                Err(e) => Err(errors::to_py(py, e)),
            }) as Deliver
        })
    }
}

#[pymethods]
impl Sink {
    #[new]
    #[pyo3(signature = (url, *, fields=None, batch_size=500, flush_interval=0.05))]
    fn new(
        py: Python<'_>,
        url: &str,
        fields: Option<Vec<String>>,
        batch_size: usize,
        flush_interval: f64,
    ) -> PyResult<Self> {
        let spec = SinkSpec::parse(url).map_err(|e| errors::to_py(py, e))?;
        let invalid =
            |what, reason: &str| errors::to_py(py, Error::InvalidArgument { what, reason: reason.into() });
        if batch_size == 0 {
            return Err(invalid("batch_size", "must be at least 1"));
        }
        if !(flush_interval.is_finite() && flush_interval >= 0.0) {
            return Err(invalid("flush_interval", "must be a number of seconds >= 0"));
        }
        let plan = fields.map(|names| {
            let mut plan = vec![Column::text("url")];
            plan.extend(names.iter().filter(|n| *n != "url").map(|n| Column::text(n)));
            plan
        });
        let opts = SinkOptions {
            batch_items: batch_size,
            linger: std::time::Duration::from_secs_f64(flush_interval),
            queue: batch_size.saturating_mul(4),
            ..SinkOptions::default()
        };
        Ok(Sink { spec, plan, opts, slot: Arc::new(Mutex::new(Slot::Unopened)) })
    }

    /// The sink's URL, password removed.
    #[getter]
    fn url(&self) -> &str {
        &self.spec.display
    }

    /// Connects and checks (or creates) the table; `async with` calls it.
    fn open(&self) -> Pending {
        self.run(|_| Box::pin(async { Ok(()) }))
    }

    /// Queues one item; waits only while the queue is full. A field the table lacks raises
    /// `SinkError` here, before the item is queued.
    fn put(&self, item: &Bound<'_, PyAny>) -> PyResult<Pending> {
        let item = self::item(item)?;
        Ok(self.run(move |sink| Box::pin(async move { sink.send(item).await.map(drop) })))
    }

    /// Queues many items (any iterable of mappings), converted in one pass.
    fn put_many(&self, items: &Bound<'_, PyAny>) -> PyResult<Pending> {
        let items: Vec<Item> = items.try_iter()?.map(|i| self::item(&i?)).collect::<PyResult<_>>()?;
        // every item checked before any is queued; one wakeup of the writer per chunk
        Ok(self.run(move |sink| Box::pin(async move { sink.send_many(items).await.map(drop) })))
    }

    /// Waits until every queued item is written.
    fn flush(&self) -> Pending {
        self.run(|sink| Box::pin(sink.flush()))
    }

    /// Writes what is queued and closes the connections; later puts raise `SinkError`.
    fn close(&self) -> Pending {
        let slot = self.slot.clone();
        Pending::new(async move {
            let result = match std::mem::replace(&mut *slot.lock().await, Slot::Closed) {
                Slot::Open(mut sink) => sink.close().await,
                _ => Ok(()),
            };
            Box::new(move |py: Python<'_>| match result {
                Ok(()) => Ok(py.None()),
                Err(e) => Err(errors::to_py(py, e)),
            }) as Deliver
        })
    }

    fn __repr__(&self) -> String {
        format!("<Sink {}>", self.spec.display)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Sink>()
}
