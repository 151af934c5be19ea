//! What an `ssl.SSLContext` asks for, in terms rustls can honour: the CA certificates it
//! trusts, whether the hostname is checked, and the protocol versions. The binding reads these
//! from the context; what cannot be read back (client certificates, ciphers, CRLs) is refused
//! there, with a message, rather than dropped silently.

use reqwest::tls::Version;

use crate::error::{Error, Result};

/// A TLS protocol version rustls speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

/// Verification settings taken from an `ssl.SSLContext` whose `verify_mode` is not
/// `CERT_NONE` (that one is [`Tls::Insecure`](crate::config::Tls::Insecure)).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsContext {
    /// DER certificates of the context's trust store (`get_ca_certs(binary_form=True)`).
    /// With `check_hostname`, they are trusted besides the system's roots (as a CA file is);
    /// without it, they are the only roots: rustls checks a chain while ignoring the name
    /// only against roots it is given.
    pub ca_certs: Vec<Vec<u8>>,
    /// `False`: a certificate for another name is accepted, its chain is still verified.
    pub check_hostname: bool,
    pub min_version: Option<TlsVersion>,
    pub max_version: Option<TlsVersion>,
}

fn version(v: TlsVersion) -> Version {
    match v {
        TlsVersion::Tls12 => Version::TLS_1_2,
        TlsVersion::Tls13 => Version::TLS_1_3,
    }
}

/// Applies `ctx` to a transport under construction.
pub(crate) fn apply(mut b: reqwest::ClientBuilder, ctx: &TlsContext) -> Result<reqwest::ClientBuilder> {
    let invalid = |reason: String| Error::InvalidArgument { what: "ssl", reason };
    let certs = ctx
        .ca_certs
        .iter()
        .map(|der| reqwest::Certificate::from_der(der))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("a CA certificate of the SSLContext: {e}")))?;
    if ctx.check_hostname {
        for cert in certs {
            b = b.add_root_certificate(cert);
        }
    } else {
        if certs.is_empty() {
            return Err(invalid(
                "check_hostname=False needs the CA certificates loaded into the SSLContext \
                 (load_verify_locations(cafile=...)); certificates found through default paths \
                 cannot be read back from it"
                    .into(),
            ));
        }
        b = b.tls_certs_only(certs).tls_danger_accept_invalid_hostnames(true);
    }
    if let (Some(min), Some(max)) = (ctx.min_version, ctx.max_version) {
        if min > max {
            return Err(invalid("the SSLContext's minimum_version is above its maximum_version".into()));
        }
    }
    if let Some(min) = ctx.min_version {
        b = b.tls_version_min(version(min));
    }
    if let Some(max) = ctx.max_version {
        b = b.tls_version_max(version(max));
    }
    Ok(b)
}
