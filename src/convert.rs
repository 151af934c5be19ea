//! Python arguments to core types, done once before any work is spawned (no Python
//! objects travel into futures).

use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString, PyType};

use ferrocrawl_core::config::{Timeouts, Tls};
use ferrocrawl_core::netguard::{self, NetGuard};
use ferrocrawl_core::reqwest::Method;
use ferrocrawl_core::tls::{TlsContext, TlsVersion};
use ferrocrawl_core::{RequestBody, RequestSpec};

use crate::errors;

/// `ClientTimeout(total=..., connect=..., sock_read=..., sock_connect=...)`, in seconds;
/// `None` means no such deadline. `connect` and `sock_connect` are the same deadline here.
#[pyclass(frozen, module = "ferrocrawl._ferrocrawl")]
#[derive(Clone)]
pub struct ClientTimeout {
    #[pyo3(get)]
    total: Option<f64>,
    #[pyo3(get)]
    connect: Option<f64>,
    #[pyo3(get)]
    sock_read: Option<f64>,
    #[pyo3(get)]
    sock_connect: Option<f64>,
}

#[pymethods]
impl ClientTimeout {
    #[new]
    #[pyo3(signature = (total=None, connect=None, sock_read=None, sock_connect=None))]
    fn new(
        total: Option<f64>,
        connect: Option<f64>,
        sock_read: Option<f64>,
        sock_connect: Option<f64>,
    ) -> PyResult<Self> {
        for v in [total, connect, sock_read, sock_connect].into_iter().flatten() {
            if !(v.is_finite() && v > 0.0) {
                return Err(PyValueError::new_err(format!(
                    "timeouts are positive numbers of seconds or None, not {v}"
                )));
            }
        }
        Ok(ClientTimeout { total, connect, sock_read, sock_connect })
    }

    fn __repr__(&self) -> String {
        let f = |v: Option<f64>| v.map_or("None".to_owned(), |v| v.to_string());
        format!(
            "ClientTimeout(total={}, connect={}, sock_read={}, sock_connect={})",
            f(self.total),
            f(self.connect),
            f(self.sock_read),
            f(self.sock_connect)
        )
    }
}

impl ClientTimeout {
    fn to_core(&self) -> Timeouts {
        let d = |v: Option<f64>| v.map(Duration::from_secs_f64);
        Timeouts {
            total: d(self.total),
            connect: d(self.connect.or(self.sock_connect)),
            read: d(self.sock_read),
        }
    }
}

/// A `ClientTimeout`, or a number of seconds for the total deadline.
pub fn timeouts(obj: &Bound<'_, PyAny>) -> PyResult<Timeouts> {
    if let Ok(t) = obj.cast::<ClientTimeout>() {
        return Ok(t.get().to_core());
    }
    let secs: f64 = obj
        .extract()
        .map_err(|_| PyTypeError::new_err("timeout must be a ClientTimeout or a number of seconds"))?;
    Ok(ClientTimeout::new(Some(secs), None, None, None)?.to_core())
}

static SSL_CONTEXT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `ssl=` / `verify_ssl=`: True (verify), False (don't), a CA file path, or an
/// `ssl.SSLContext` (see [`ssl_context`]).
pub fn tls(obj: &Bound<'_, PyAny>) -> PyResult<Tls> {
    if let Ok(verify) = obj.extract::<bool>() {
        return Ok(if verify { Tls::Verify } else { Tls::Insecure });
    }
    if let Ok(path) = obj.extract::<std::path::PathBuf>() {
        return Ok(Tls::CaFile(path));
    }
    if obj.is_instance(SSL_CONTEXT.import(obj.py(), "ssl", "SSLContext")?)? {
        return ssl_context(obj);
    }
    Err(PyTypeError::new_err("ssl must be True, False, a CA file path or an ssl.SSLContext"))
}

/// An `ssl.SSLContext`, read for what rustls can honour: `verify_mode` (`CERT_NONE` = no
/// verification), the CA certificates it holds, `check_hostname`, `minimum_version` /
/// `maximum_version`. What it cannot honour and can detect (CRL checks, TLS below 1.2) is an
/// `InvalidArgument` (a `ValueError`); client certificates (`load_cert_chain`) cannot be read
/// back from a context at all, which the README says.
fn ssl_context(ctx: &Bound<'_, PyAny>) -> PyResult<Tls> {
    let py = ctx.py();
    let ssl = py.import("ssl")?;
    let constant = |name: &str| -> PyResult<i64> { ssl.getattr(name)?.extract() };
    let invalid =
        |reason: String| errors::to_py(py, ferrocrawl_core::Error::InvalidArgument { what: "ssl", reason });
    if ctx.getattr("verify_mode")?.extract::<i64>()? == constant("CERT_NONE")? {
        return Ok(Tls::Insecure);
    }
    let flags: i64 = ctx.getattr("verify_flags")?.extract()?;
    if flags & (constant("VERIFY_CRL_CHECK_LEAF")? | constant("VERIFY_CRL_CHECK_CHAIN")?) != 0 {
        return Err(invalid(
            "the SSLContext asks for CRL checks (verify_flags), which ferrocrawl cannot take \
             from a context; clear VERIFY_CRL_CHECK_LEAF/CHAIN or pass ssl=True"
                .into(),
        ));
    }
    // TLSVersion values: MINIMUM_SUPPORTED -2, MAXIMUM_SUPPORTED -1, TLSv1_2 0x303, TLSv1_3 0x304.
    let min: i64 = ctx.getattr("minimum_version")?.extract()?;
    let max: i64 = ctx.getattr("maximum_version")?.extract()?;
    let min_version = match min {
        0x304 | -1 => Some(TlsVersion::Tls13),
        _ => None, // rustls never goes below TLS 1.2 anyway
    };
    let max_version = match max {
        -1 | 0x304 => None,
        0x303 => Some(TlsVersion::Tls12),
        _ => {
            return Err(invalid(
                "the SSLContext's maximum_version is below TLS 1.2; ferrocrawl (rustls) speaks \
                 TLS 1.2 and 1.3 only"
                    .into(),
            ))
        }
    };
    let check_hostname: bool = ctx.getattr("check_hostname")?.extract()?;
    let ca_certs: Vec<Vec<u8>> = ctx.call_method1("get_ca_certs", (true,))?.extract()?;
    if check_hostname && min_version.is_none() && max_version.is_none() && ca_certs.is_empty() {
        return Ok(Tls::Verify);
    }
    Ok(Tls::Context(TlsContext { ca_certs, check_hostname, min_version, max_version }))
}

/// `retry_methods=`: an iterable of method names, any case (urllib3's `allowed_methods`).
pub fn methods(obj: &Bound<'_, PyAny>) -> Result<Vec<Method>, ferrocrawl_core::Error> {
    let invalid = |reason: String| ferrocrawl_core::Error::InvalidArgument { what: "retry_methods", reason };
    let mut out = Vec::new();
    for item in obj.try_iter().map_err(|e| invalid(e.to_string()))? {
        let name: String = item.and_then(|i| i.extract()).map_err(|e| invalid(e.to_string()))?;
        let method = Method::from_bytes(name.to_ascii_uppercase().as_bytes())
            .map_err(|_| invalid(format!("{name:?} is not an HTTP method")))?;
        out.push(method);
    }
    Ok(out)
}

/// `block_private_networks=` and `allowed_networks=` (CIDR strings, or bare addresses).
pub fn net_guard(block: bool, allowed: Option<&Bound<'_, PyAny>>) -> PyResult<Option<NetGuard>> {
    let allowed = allowed.filter(|o| !o.is_none());
    if !block {
        if allowed.is_some() {
            return Err(PyValueError::new_err("allowed_networks= goes with block_private_networks=True"));
        }
        return Ok(None);
    }
    let mut allow = Vec::new();
    for item in allowed.map(PyAnyMethods::try_iter).transpose()?.into_iter().flatten() {
        let text: String = item?.extract()?;
        allow.push(
            netguard::parse_network(&text)
                .map_err(|e| PyValueError::new_err(format!("allowed_networks: {e}")))?,
        );
    }
    Ok(Some(NetGuard { allow }))
}

fn text(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(s.to_str()?.to_owned());
    }
    Ok(obj.str()?.to_str()?.to_owned())
}

/// A mapping or an iterable of pairs, as (str, str) pairs; values go through `str()`.
pub fn pairs(obj: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let py = obj.py();
    let items = if obj.cast::<PyDict>().is_ok() || obj.hasattr(intern!(py, "items"))? {
        obj.call_method0(intern!(py, "items"))?
    } else {
        obj.clone()
    };
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
        out.push((text(&k)?, text(&v)?));
    }
    Ok(out)
}

/// Any URL-like object as a string (str, yarl.URL, pathlib-like).
pub fn url(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    text(obj)
}

fn body(data: Option<&Bound<'_, PyAny>>, json: Option<&Bound<'_, PyAny>>) -> PyResult<Option<RequestBody>> {
    match (data, json) {
        (Some(_), Some(_)) => Err(PyValueError::new_err("pass data= or json=, not both")),
        (None, Some(obj)) => {
            static DUMPS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            let dumped = DUMPS.import(obj.py(), "json", "dumps")?.call1((obj,))?;
            let s = dumped.cast::<PyString>()?.to_str()?.to_owned();
            Ok(Some(RequestBody { bytes: s.into(), content_type: Some("application/json") }))
        }
        (Some(obj), None) => {
            if let Ok(b) = obj.cast::<PyBytes>() {
                return Ok(Some(RequestBody {
                    bytes: bytes::Bytes::copy_from_slice(b.as_bytes()),
                    content_type: Some("application/octet-stream"),
                }));
            }
            if let Ok(s) = obj.cast::<PyString>() {
                return Ok(Some(RequestBody {
                    bytes: s.to_str()?.to_owned().into(),
                    content_type: Some("text/plain; charset=utf-8"),
                }));
            }
            if let Ok(b) = obj.extract::<Vec<u8>>() {
                if !obj.hasattr("items")? {
                    return Ok(Some(RequestBody {
                        bytes: b.into(),
                        content_type: Some("application/octet-stream"),
                    }));
                }
            }
            let form =
                url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs(obj)?).finish();
            Ok(Some(RequestBody {
                bytes: form.into(),
                content_type: Some("application/x-www-form-urlencoded"),
            }))
        }
        (None, None) => Ok(None),
    }
}

/// The keyword arguments every request method takes, as in aiohttp.
pub fn request_spec(
    method: &str,
    url_obj: &Bound<'_, PyAny>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<RequestSpec> {
    let mut spec = RequestSpec::new(method, url(url_obj)?);
    let Some(kwargs) = kwargs else { return Ok(spec) };
    let (mut data, mut json) = (None, None);
    for (key, value) in kwargs.iter() {
        let key = key.cast::<PyString>()?.to_str()?.to_owned();
        // None is "not given" except where aiohttp gives it a meaning of its own.
        if value.is_none() && key != "proxy" && key != "timeout" {
            continue;
        }
        match key.as_str() {
            "params" => spec.params = pairs(&value)?,
            "headers" => spec.headers = pairs(&value)?,
            "cookies" => spec.cookies = pairs(&value)?,
            "data" => data = Some(value),
            "json" => json = Some(value),
            "proxy" => spec.proxy = if value.is_none() { None } else { Some(Some(text(&value)?)) },
            "ssl" | "verify_ssl" => spec.tls = Some(tls(&value)?),
            // As in aiohttp: `timeout=None` is no deadline for this request; leaving it out
            // is the session's.
            "timeout" if value.is_none() => spec.timeouts = Some(Timeouts::NONE),
            "timeout" => spec.timeouts = Some(timeouts(&value)?),
            "allow_redirects" => spec.allow_redirects = value.extract()?,
            "max_redirects" => spec.max_redirects = Some(value.extract()?),
            "raise_for_status" => spec.raise_for_status = Some(value.extract()?),
            "max_body_size" => spec.max_body_size = Some(value.extract()?),
            other => return Err(PyTypeError::new_err(format!("unexpected keyword argument {other:?}"))),
        }
    }
    spec.body = body(data.as_ref(), json.as_ref())?;
    Ok(spec)
}
