//! `FakeQdrant`: the running fake, its listener lifecycle (stop / restart on the same port)
//! and the direct-inspection helpers tests use.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use qdrant_client::qdrant::{
    collections_server::CollectionsServer, points_server::PointsServer, qdrant_server::QdrantServer,
};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_stream::StreamExt;
use tonic::service::interceptor::InterceptedService;

use crate::connection::Cuttable;
use crate::faults::Faults;
use crate::service::{FakeService, Shared};

/// Largest request or response message accepted (upsert batches can be several MB).
const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// How long `stop` waits for the server task after cutting its connections.
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// A running in-memory FAKE Qdrant gRPC server on `127.0.0.1`. It proves the wiring, not
/// Qdrant's behaviour. Dropping it stops the server (and its own runtime, if it has one).
pub struct FakeQdrant {
    addr: SocketAddr,
    shared: Arc<Shared>,
    serving: Option<Serving>,
    handle: tokio::runtime::Handle,
    /// Set by [`FakeQdrant::start_in_background`]: the runtime the server runs on.
    runtime: Option<tokio::runtime::Runtime>,
    /// Set by [`FakeQdrant::start_tls_in_background`]: the server speaks TLS with this certificate.
    tls: Option<crate::TestCertificates>,
}

struct Serving {
    /// Stops accepting (closes the listener).
    shutdown: oneshot::Sender<()>,
    /// Cuts the accepted connections.
    cut: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl FakeQdrant {
    /// Binds `127.0.0.1:0` and serves in a task of the current tokio runtime.
    pub async fn start() -> io::Result<FakeQdrant> {
        FakeQdrant::start_on(0).await
    }

    /// Like [`FakeQdrant::start`] on a chosen port (0: any free port).
    pub async fn start_on(port: u16) -> io::Result<FakeQdrant> {
        FakeQdrant::start_with(port, None).await
    }

    async fn start_with(port: u16, tls: Option<crate::TestCertificates>) -> io::Result<FakeQdrant> {
        let shared = Arc::new(Shared::default());
        let listener = bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
        let addr = listener.local_addr()?;
        Ok(FakeQdrant {
            addr,
            serving: Some(serve(listener, Arc::clone(&shared), tls.as_ref())?),
            shared,
            handle: tokio::runtime::Handle::current(),
            runtime: None,
            tls,
        })
    }

    /// Like [`FakeQdrant::start_in_background`], speaking TLS with a certificate for `localhost` signed by a
    /// CA made for this fake ([`FakeQdrant::ca_pem`]); [`FakeQdrant::url`] is then `https://localhost:PORT`.
    pub fn start_tls_in_background() -> io::Result<FakeQdrant> {
        let certificates = crate::TestCertificates::new().map_err(io::Error::other)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("qdrant-fake")
            .enable_all()
            .build()?;
        let mut fake = runtime.block_on(FakeQdrant::start_with(0, Some(certificates)))?;
        fake.runtime = Some(runtime);
        Ok(fake)
    }

    /// The PEM of the CA that signed the TLS fake's certificate (`None` without TLS).
    pub fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.ca_pem.as_str())
    }

    /// For synchronous tests: starts the server on its own multi-thread tokio runtime, which
    /// lives as long as the returned value. Must not be called from inside a tokio runtime.
    pub fn start_in_background() -> io::Result<FakeQdrant> {
        FakeQdrant::start_in_background_on(0)
    }

    /// Like [`FakeQdrant::start_in_background`] on a chosen port (0: any free port).
    pub fn start_in_background_on(port: u16) -> io::Result<FakeQdrant> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("qdrant-fake")
            .enable_all()
            .build()?;
        let mut fake = runtime.block_on(FakeQdrant::start_on(port))?;
        fake.runtime = Some(runtime);
        Ok(fake)
    }

    /// `http://127.0.0.1:PORT` (with TLS: `https://localhost:PORT`), for `qdrant_client::Qdrant::from_url`.
    pub fn url(&self) -> String {
        match self.tls {
            Some(_) => format!("https://localhost:{}", self.addr.port()),
            None => format!("http://{}", self.addr),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Whether the server is currently listening.
    pub fn is_running(&self) -> bool {
        self.serving.is_some()
    }

    /// From now on every request must carry this API key (`None`: no key needed), as with a Qdrant started with
    /// `service.api_key`.
    pub fn require_api_key(&self, key: Option<&str>) {
        *self
            .shared
            .api_key
            .write()
            .unwrap_or_else(PoisonError::into_inner) = key.map(str::to_string);
    }

    /// Handle on the fault rules; clones share them.
    pub fn faults(&self) -> Faults {
        self.shared.faults.clone()
    }

    /// How many times `rpc` was called (failed and injected-failure calls included).
    /// Names: see [`crate::RPC_NAMES`].
    pub fn calls(&self, rpc: &str) -> u64 {
        self.shared.faults.calls(rpc)
    }

    /// Points stored in `collection` (0 when it does not exist).
    pub fn point_count(&self, collection: &str) -> usize {
        self.shared
            .store
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .collections
            .get(collection)
            .map_or(0, |c| c.points().len())
    }

    /// Whether `collection` exists.
    pub fn has_collection(&self, collection: &str) -> bool {
        self.shared
            .store
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .collections
            .contains_key(collection)
    }

    /// Stops listening: new connections are refused and open ones are cut (requests in
    /// flight fail), as if the server went away. The data is kept for
    /// [`FakeQdrant::restart`].
    pub async fn stop(&mut self) {
        let Some(Serving {
            shutdown,
            cut,
            mut task,
        }) = self.serving.take()
        else {
            return;
        };
        let _ = cut.send(true);
        let _ = shutdown.send(());
        if tokio::time::timeout(STOP_TIMEOUT, &mut task).await.is_err() {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port, with the same data, faults and call counts.
    /// Does nothing if already running.
    pub async fn restart(&mut self) -> io::Result<()> {
        if self.serving.is_none() {
            let listener = bind(self.addr)?;
            self.serving = Some(serve(
                listener,
                Arc::clone(&self.shared),
                self.tls.as_ref(),
            )?);
        }
        Ok(())
    }

    /// [`FakeQdrant::stop`] for synchronous code (not from inside a tokio runtime).
    pub fn stop_blocking(&mut self) {
        let handle = self.handle.clone();
        handle.block_on(self.stop());
    }

    /// [`FakeQdrant::restart`] for synchronous code (not from inside a tokio runtime).
    pub fn restart_blocking(&mut self) -> io::Result<()> {
        let handle = self.handle.clone();
        handle.block_on(self.restart())
    }
}

impl Drop for FakeQdrant {
    fn drop(&mut self) {
        if let Some(serving) = self.serving.take() {
            let _ = serving.cut.send(true);
            let _ = serving.shutdown.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// SO_REUSEADDR so `restart` can take the same port back while old connections linger.
fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    tls: Option<&crate::TestCertificates>,
) -> io::Result<Serving> {
    let (shutdown, stopped) = oneshot::channel::<()>();
    let (cut, switch) = watch::channel(false);
    let service = FakeService::new(Arc::clone(&shared));
    let auth = move |request: tonic::Request<()>| shared.authorize(&request).map(|()| request);
    let mut builder = tonic::transport::Server::builder();
    if let Some(t) = tls {
        let identity = tonic::transport::Identity::from_pem(&t.cert_pem, &t.key_pem);
        builder = builder
            .tls_config(tonic::transport::ServerTlsConfig::new().identity(identity))
            .map_err(io::Error::other)?;
    }
    let router = builder
        // Qdrant answers its health check without a key (it is on its auth whitelist).
        .add_service(
            QdrantServer::new(service.clone())
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(InterceptedService::new(
            CollectionsServer::new(service.clone())
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            auth.clone(),
        ))
        .add_service(InterceptedService::new(
            PointsServer::new(service)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
            auth,
        ));
    let task = tokio::spawn(async move {
        let incoming = TcpListenerStream::new(listener).map(move |accepted| {
            accepted.map(|stream| {
                // What tonic's own listener does (`tcp_nodelay` defaults to true): without
                // it, Nagle's algorithm holds back the last small write of a response until
                // the client's delayed ACK arrives (tens of milliseconds per request).
                let _ = stream.set_nodelay(true);
                Cuttable::new(stream, switch.clone())
            })
        });
        let stop = async {
            // A dropped sender (FakeQdrant dropped) stops the server too.
            let _ = stopped.await;
        };
        if let Err(error) = router.serve_with_incoming_shutdown(incoming, stop).await {
            eprintln!("qdrant-fake: server error: {error}");
        }
    });
    Ok(Serving {
        shutdown,
        cut,
        task,
    })
}
