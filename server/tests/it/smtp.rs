//! A small SMTP server on 127.0.0.1 for the tests: it speaks enough of RFC 5321 for lettre (EHLO, MAIL,
//! RCPT, DATA, RSET, NOOP, QUIT), keeps every message it accepts, and can be told to answer a
//! temporary (451) or permanent (550) refusal instead, as real mail servers do.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the server answers the next messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Accept,
    /// 451 to DATA: "try again later".
    TryLater,
    /// 550 to RCPT: "no such user".
    Reject,
}

/// One message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-unstuffed, lines joined with CRLF.
    pub data: String,
}

impl Received {
    /// The message read as a mail client reads it (MIME parts decoded).
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default().parse(self.data.as_bytes()).expect("a well-formed message")
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }

    /// The plain-text part.
    pub fn text(&self) -> String {
        self.parsed().body_text(0).expect("a plain-text part").into_owned()
    }

    pub fn html(&self) -> String {
        self.parsed().body_html(0).expect("an HTML part").into_owned()
    }

    /// The set-password link's token in the plain-text part.
    pub fn token(&self) -> String {
        let text = self.text();
        let start = text.find("/set-password?token=").expect("a set-password link") + "/set-password?token=".len();
        text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
    }
}

#[derive(Default)]
struct Shared {
    answer: Option<Answer>,
    received: Vec<Received>,
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

impl SmtpServer {
    /// A server on a free port.
    pub async fn start() -> Self {
        Self::start_at("127.0.0.1:0".parse().expect("an address")).await
    }

    /// A server on `addr` (a port a test chose while nothing listened on it).
    pub async fn start_at(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.expect("bind the SMTP port");
        let addr = listener.local_addr().expect("its address");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(converse(stream, serving.clone()));
            }
        });
        SmtpServer { addr, shared, task }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn answer(&self, answer: Answer) {
        self.shared.lock().expect("lock").answer = Some(answer);
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().expect("lock").received.clone()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A free port on 127.0.0.1 where nothing listens (yet).
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("its address")
}

async fn converse(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let answer = || shared.lock().map(|shared| shared.answer.unwrap_or(Answer::Accept)).unwrap_or(Answer::Accept);
    if write.write_all(b"220 test.example ESMTP\r\n").await.is_err() {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_string();
        let verb = command.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => "250-test.example\r\n250 8BITMIME\r\n".into(),
            "HELO" => "250 test.example\r\n".into(),
            "MAIL" => {
                from = address(&command);
                to.clear();
                "250 2.1.0 OK\r\n".into()
            }
            "RCPT" if answer() == Answer::Reject => "550 5.1.1 No such user here\r\n".into(),
            "RCPT" => {
                to.push(address(&command));
                "250 2.1.5 OK\r\n".into()
            }
            "DATA" if answer() == Answer::TryLater => "451 4.3.0 Mailbox busy, try again later\r\n".into(),
            "DATA" => {
                if write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.is_err() {
                    return;
                }
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let text = line.trim_end_matches(['\r', '\n']);
                    if text == "." {
                        break;
                    }
                    // A line that starts with a dot had it doubled by the sender.
                    data.push(text.strip_prefix('.').unwrap_or(text).to_string());
                }
                let message = Received { from: from.clone(), to: std::mem::take(&mut to), data: data.join("\r\n") };
                if let Ok(mut shared) = shared.lock() {
                    shared.received.push(message);
                }
                "250 2.0.0 Queued\r\n".into()
            }
            "RSET" => {
                to.clear();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "QUIT" => {
                let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                return;
            }
            _ => "502 5.5.2 Command not recognised\r\n".into(),
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The address in `MAIL FROM:<a@b> …` or `RCPT TO:<a@b>`.
fn address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..].find('>').map_or(command.len(), |i| start + i);
    command[start..end].to_string()
}
