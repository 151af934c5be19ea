//! The Python exception tree and the one conversion from core errors to it.
//!
//! The classes are made at import with `type(name, bases, ns)` so that leaves can also
//! subclass the builtins users already catch (`TimeoutError`, `ConnectionError`,
//! `ValueError`), which `create_exception!` (single base) cannot express.

use pyo3::exceptions::{PyConnectionError, PyException, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use ferrocrawl_core::Error;

pub struct Classes {
    pub root: Py<PyType>,
    pub invalid_url: Py<PyType>,
    pub timeout: Py<PyType>,
    pub connection: Py<PyType>,
    pub connect: Py<PyType>,
    pub blocked: Py<PyType>,
    pub tls: Py<PyType>,
    pub protocol: Py<PyType>,
    pub redirect: Py<PyType>,
    pub too_many_redirects: Py<PyType>,
    pub body_too_large: Py<PyType>,
    pub http_status: Py<PyType>,
    pub unsafe_path: Py<PyType>,
    pub internal: Py<PyType>,
    pub sink: Py<PyType>,
    pub selector: Py<PyType>,
    pub invalid_argument: Py<PyType>,
    pub remove_without_root: Py<PyType>,
    pub remove_without_parent: Py<PyType>,
    pub drop_without_parent: Py<PyType>,
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

pub fn classes(py: Python<'_>) -> &Classes {
    CLASSES.get_or_init(py, || make_classes(py).expect("cannot create ferrocrawl's exception classes"))
}

fn make_classes(py: Python<'_>) -> PyResult<Classes> {
    let type_ = py.get_type::<PyType>();
    let new = |name: &str, doc: &str, bases: Vec<Bound<'_, PyAny>>| -> PyResult<Py<PyType>> {
        let ns = PyDict::new(py);
        ns.set_item("__module__", "ferrocrawl")?;
        ns.set_item("__doc__", doc)?;
        let cls = type_.call1((name, PyTuple::new(py, bases)?, ns))?;
        Ok(cls.cast_into::<PyType>()?.unbind())
    };
    let root = new(
        "FerrocrawlError",
        "Base of every error ferrocrawl raises. `url` is the URL concerned, when there is one.",
        vec![py.get_type::<PyException>().into_any()],
    )?;
    root.bind(py).setattr("url", py.None())?;
    root.bind(py).setattr("status", py.None())?;
    let r = || root.bind(py).clone().into_any();
    let mut timeout_bases = vec![r(), py.get_type::<PyTimeoutError>().into_any()];
    // Before 3.11 asyncio.TimeoutError is its own class; make both `except`s work.
    let asyncio_timeout = py.import("asyncio")?.getattr("TimeoutError")?;
    if !asyncio_timeout.is(py.get_type::<PyTimeoutError>()) {
        timeout_bases.push(asyncio_timeout);
    }
    let connection = new(
        "ClientConnectionError",
        "The connection could not be made or broke.",
        vec![r(), py.get_type::<PyConnectionError>().into_any()],
    )?;
    let c = || connection.bind(py).clone().into_any();
    let connect = new("ConnectError", "Could not connect (refused, unreachable, DNS).", vec![c()])?;
    let redirect = new(
        "RedirectError",
        "A redirect was refused (bad Location, or a scheme other than http/https).",
        vec![r()],
    )?;
    // parsel's names for what `drop()` refuses
    let remove_without_root = new(
        "CannotRemoveElementWithoutRoot",
        "drop() of a string result (text, attribute): select the element instead.",
        vec![r()],
    )?;
    let remove_without_parent = new(
        "CannotRemoveElementWithoutParent",
        "drop() of the document or its root element, which have no parent.",
        vec![r()],
    )?;
    let drop_without_parent = new(
        "CannotDropElementWithoutParent",
        "drop() of the document or its root element, which have no parent.",
        vec![remove_without_parent.bind(py).clone().into_any()],
    )?;
    Ok(Classes {
        invalid_url: new(
            "InvalidURL",
            "The URL cannot be fetched: unparsable, no host, or not http/https.",
            vec![r(), py.get_type::<PyValueError>().into_any()],
        )?,
        timeout: new("RequestTimeout", "A deadline ran out (total, connect or read).", timeout_bases)?,
        blocked: new(
            "BlockedAddressError",
            "block_private_networks=True refused the address a URL, redirect or DNS answer leads to.",
            vec![connect.bind(py).clone().into_any()],
        )?,
        connect,
        tls: new("TLSError", "The TLS handshake failed, e.g. an untrusted certificate.", vec![c()])?,
        protocol: new("ProtocolError", "The server broke the connection or spoke invalid HTTP.", vec![c()])?,
        too_many_redirects: new(
            "TooManyRedirects",
            "More redirects than max_redirects.",
            vec![redirect.bind(py).clone().into_any()],
        )?,
        body_too_large: new(
            "BodyTooLarge",
            "The body is larger than max_body_size (or a download's max_size).",
            vec![r()],
        )?,
        http_status: new(
            "HTTPStatusError",
            "raise_for_status() saw a 4xx/5xx status; `status` holds it.",
            vec![r()],
        )?,
        unsafe_path: new(
            "UnsafePathError",
            "A download target would escape its folder.",
            vec![r(), py.get_type::<PyValueError>().into_any()],
        )?,
        internal: new(
            "InternalError",
            "A bug in ferrocrawl (a Rust panic); the message says where.",
            vec![r()],
        )?,
        sink: new(
            "SinkError",
            "An item sink failed for good (bad credentials, missing database, a field its table \
             lacks); the message names the sink, password removed. Unwritten items' pages stay \
             unacknowledged.",
            vec![r()],
        )?,
        selector: new(
            "SelectorError",
            "An invalid CSS or XPath expression.",
            vec![r(), py.get_type::<PyValueError>().into_any()],
        )?,
        invalid_argument: new(
            "InvalidArgument",
            "An option has a value ferrocrawl cannot use.",
            vec![r(), py.get_type::<PyValueError>().into_any()],
        )?,
        remove_without_root,
        remove_without_parent,
        drop_without_parent,
        connection,
        redirect,
        root,
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let c = classes(py);
    for cls in [
        &c.root,
        &c.invalid_url,
        &c.timeout,
        &c.connection,
        &c.connect,
        &c.blocked,
        &c.tls,
        &c.protocol,
        &c.redirect,
        &c.too_many_redirects,
        &c.body_too_large,
        &c.http_status,
        &c.unsafe_path,
        &c.internal,
        &c.sink,
        &c.selector,
        &c.invalid_argument,
        &c.remove_without_root,
        &c.remove_without_parent,
        &c.drop_without_parent,
    ] {
        let cls = cls.bind(py);
        m.add(cls.name()?, cls)?;
    }
    Ok(())
}

/// An exception of class `cls` with `message`, and `url`/`status` set when known.
pub fn new_error(
    py: Python<'_>,
    cls: &Py<PyType>,
    message: String,
    url: Option<&str>,
    status: Option<u16>,
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let exc = cls.bind(py).call1((message,))?;
        if let Some(url) = url {
            exc.setattr("url", url)?;
        }
        if let Some(status) = status {
            exc.setattr("status", status)?;
        }
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    // Errors from the client are redacted already; this also covers those the binding builds.
    let e = e.redacted();
    let c = classes(py);
    let cls = match &e {
        Error::InvalidUrl { .. } => &c.invalid_url,
        Error::Timeout { .. } => &c.timeout,
        Error::Connect { .. } => &c.connect,
        Error::Blocked { .. } => &c.blocked,
        Error::Tls { .. } => &c.tls,
        Error::Protocol { .. } => &c.protocol,
        Error::TooManyRedirects { .. } => &c.too_many_redirects,
        Error::BadRedirect { .. } => &c.redirect,
        Error::BodyTooLarge { .. } => &c.body_too_large,
        Error::HttpStatus { .. } => &c.http_status,
        Error::UnsafePath { .. } => &c.unsafe_path,
        Error::InvalidArgument { .. } => &c.invalid_argument,
        Error::Internal { .. } => &c.internal,
        Error::Sink { .. } => &c.sink,
        Error::Io { source, .. } => {
            let message = e.to_string();
            return PyErr::from_value(
                pyo3::exceptions::PyOSError::new_err((source.raw_os_error().unwrap_or(0), message))
                    .into_value(py)
                    .into_bound(py)
                    .into_any(),
            );
        }
    };
    let status = match &e {
        Error::HttpStatus { status, .. } => Some(*status),
        _ => None,
    };
    new_error(py, cls, e.to_string(), e.url(), status)
}

/// A panic inside a Rust task, as `InternalError`.
pub fn from_panic(py: Python<'_>, payload: &(dyn std::any::Any + Send)) -> PyErr {
    let msg = payload
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    new_error(
        py,
        &classes(py).internal,
        format!("ferrocrawl panicked: {msg} (please report this bug)"),
        None,
        None,
    )
}
