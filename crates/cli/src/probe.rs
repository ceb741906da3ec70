//! Readiness probes that speak each server's protocol (a bound port is not a ready server).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How to tell that a server is ready.
#[derive(Debug, Clone, Copy)]
pub enum Probe {
    /// The MySQL protocol greeting arrives.
    Mysql,
    /// `PING` answers `+PONG`.
    Redis,
    /// The Kafka broker answers an `ApiVersions` request without error.
    Kafka,
    /// `GET path` answers 2xx.
    Http(&'static str),
    /// `GET path` gets any HTTP answer (servers whose every unauthenticated answer is an error, such as
    /// S3's 403, or collectors with no GET route).
    HttpAny(&'static str),
    /// The Milvus gRPC API lists collections (through the venv's pymilvus client).
    Milvus,
}

const IO_TIMEOUT: Duration = Duration::from_secs(2);

fn connect(port: u16) -> Option<TcpStream> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    Some(stream)
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub fn listening(port: u16) -> bool {
    connect(port).is_some()
}

/// The status code of `GET path`, if the peer speaks HTTP/1.
fn http_status(stream: &mut TcpStream, port: u16, path: &str) -> Option<String> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let mut buf = [0u8; 12];
    stream.write_all(req.as_bytes()).ok()?;
    stream.read_exact(&mut buf).ok()?;
    let head = std::str::from_utf8(&buf).ok()?;
    let code = head.strip_prefix("HTTP/1.")?.get(2..5)?;
    code.chars()
        .all(|c| c.is_ascii_digit())
        .then(|| code.to_owned())
}

/// Sends Kafka's `ApiVersions` v0 (API key 18, the request every client starts with, which a
/// broker answers in v0 layout whatever it supports) and wants its correlation id and error code 0.
fn kafka_answers(stream: &mut TcpStream) -> bool {
    const CORRELATION: [u8; 4] = *b"clip";
    const CLIENT: &[u8] = b"clipfed";
    let mut head = Vec::with_capacity(10 + CLIENT.len());
    head.extend(18i16.to_be_bytes());
    head.extend(0i16.to_be_bytes());
    head.extend(CORRELATION);
    head.extend((CLIENT.len() as i16).to_be_bytes());
    head.extend(CLIENT);
    let mut request = (head.len() as i32).to_be_bytes().to_vec();
    request.extend(head);
    // Response: size, correlation id, error code.
    let mut answer = [0u8; 10];
    stream.write_all(&request).is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && answer[4..8] == CORRELATION
        && answer[8..10] == [0, 0]
}

fn milvus_answers(port: u16) -> bool {
    let python = crate::paths::Paths::discover().venv_bin("python");
    if !python.is_file() {
        // A Milvus we did not install (no venv client): the accepted connection is all we can check.
        return true;
    }
    let script = format!(
        "from pymilvus import MilvusClient\nMilvusClient(uri='http://127.0.0.1:{port}', timeout=3).list_collections()"
    );
    std::process::Command::new(python)
        .args(["-c", &script])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Probe {
    /// One attempt.
    pub fn ready(self, port: u16) -> bool {
        let Some(mut stream) = connect(port) else {
            return false;
        };
        match self {
            Probe::Mysql => {
                // Greeting packet: 3-byte length, sequence 0, then protocol version 10.
                let mut head = [0u8; 5];
                stream.read_exact(&mut head).is_ok() && head[3] == 0 && head[4] == 10
            }
            Probe::Redis => {
                let mut buf = [0u8; 7];
                stream.write_all(b"PING\r\n").is_ok()
                    && stream.read_exact(&mut buf).is_ok()
                    && &buf == b"+PONG\r\n"
            }
            Probe::Http(path) => {
                http_status(&mut stream, port, path).is_some_and(|code| code.starts_with('2'))
            }
            Probe::HttpAny(path) => http_status(&mut stream, port, path).is_some(),
            Probe::Milvus => {
                drop(stream);
                milvus_answers(port)
            }
            Probe::Kafka => kafka_answers(&mut stream),
        }
    }

    /// Retries until ready or `timeout`.
    pub fn wait(self, port: u16, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.ready(port) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;

    /// A one-shot server on a free port answering every connection with `reply`.
    fn fake_server(reply: &'static [u8]) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().map_while(Result::ok) {
                let mut buf = [0u8; 512];
                let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(reply);
            }
        });
        port
    }

    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[test]
    fn nothing_listening_is_not_ready() {
        let port = free_port();
        assert!(!listening(port));
        assert!(!Probe::Redis.ready(port));
    }

    #[test]
    fn a_server_speaking_the_wrong_protocol_is_not_ready() {
        let port = fake_server(b"HTTP/1.1 200 OK\r\n\r\n");
        assert!(listening(port), "a bound port is reachable");
        assert!(!Probe::Redis.ready(port), "HTTP is not Redis");
        assert!(!Probe::Mysql.ready(port), "HTTP is not MySQL");
    }

    #[test]
    fn http_probe_needs_a_2xx_status() {
        assert!(
            Probe::Http("/health")
                .ready(fake_server(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
        );
        assert!(
            !Probe::Http("/health").ready(fake_server(b"HTTP/1.1 503 Service Unavailable\r\n\r\n"))
        );
    }

    #[test]
    fn http_any_probe_accepts_error_statuses_but_not_other_protocols() {
        assert!(Probe::HttpAny("/").ready(fake_server(b"HTTP/1.1 403 Forbidden\r\n\r\n")));
        assert!(!Probe::HttpAny("/").ready(fake_server(b"+PONG\r\n")));
    }

    #[test]
    fn redis_probe_accepts_pong() {
        assert!(Probe::Redis.ready(fake_server(b"+PONG\r\n")));
    }

    #[test]
    fn wait_gives_up_after_its_timeout() {
        let started = Instant::now();
        assert!(!Probe::Redis.wait(free_port(), Duration::from_millis(600)));
        assert!(started.elapsed() >= Duration::from_millis(600));
    }
}
