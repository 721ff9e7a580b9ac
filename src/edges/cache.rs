//! The gate's side of the shared cache: before an edge runs, its outputs fetched by its key, the declared inputs'
//! content and then the discovered inputs' (ccache's direct mode: two entries); after it ran, its outputs stored.
//! Names hold no absolute path of the build: a clone at another path finds what this one stored. The cache never
//! fails a build: a store that cannot be read or written is one warning, and the edge runs as without it.

use crate::base::hash::{copy_hashed, stat};
use crate::base::layout::current_dir;
use crate::base::write::{temp_for, write_cache, Batch};
use crate::protocol::cache::{self as proto, Mode, Store};
use crate::protocol::gate::{Entry, Kind};
use crate::protocol::runlog::ninja_pid;
use camino::{Utf8Path, Utf8PathBuf};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

pub struct Cache {
    backend: Backend,
    /// The store as the user named it, for messages.
    url: String,
    mode: Mode,
    /// The folder ninja runs in, written `<root>` in names and entries.
    cwd: Utf8PathBuf,
    /// The build folder (where gen named the cache): one warning per build about an unreachable store goes there.
    builddir: Utf8PathBuf,
}

enum Backend {
    Folder(Utf8PathBuf),
    /// One connection per gate process, opened at the first use; `None` after a failure (the edge goes on without).
    Redis {
        addr: (String, u16),
        db: u32,
        conn: RefCell<Option<Option<TcpStream>>>,
    },
    /// A connection per request (`Connection: close`); `down` after a failure.
    Http {
        addr: (String, u16),
        path: String,
        down: Cell<bool>,
    },
}

fn connect(addr: &(String, u16)) -> std::io::Result<TcpStream> {
    let sock = (addr.0.as_str(), addr.1)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other("the host has no address"))?;
    let s = TcpStream::connect_timeout(&sock, REMOTE_LIMIT)?;
    s.set_read_timeout(Some(REMOTE_LIMIT))?;
    s.set_write_timeout(Some(REMOTE_LIMIT))?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// What a request sends: bytes in hand, or a file streamed to the socket (by the kernel's `sendfile`).
enum Body<'a> {
    Bytes(&'a [u8]),
    File(std::fs::File, u64),
}

impl Body<'_> {
    fn len(&self) -> u64 {
        match self {
            Body::Bytes(b) => b.len() as u64,
            Body::File(_, n) => *n,
        }
    }

    fn send(&mut self, w: &mut impl Write) -> std::io::Result<()> {
        match self {
            Body::Bytes(b) => w.write_all(b),
            Body::File(f, n) => match std::io::copy(&mut f.take(*n), w)? {
                sent if sent == *n => Ok(()),
                _ => Err(std::io::Error::other("the file shrank while it was sent")),
            },
        }
    }
}

/// One HTTP/1.1 request; `reply` gets the status and the body as a stream (by Content-Length, chunks, or to the end).
fn http<T>(
    addr: &(String, u16),
    method: &str,
    path: &str,
    mut body: Body,
    reply: impl FnOnce(u16, &mut dyn Read) -> std::io::Result<T>,
) -> std::io::Result<T> {
    let mut s = connect(addr)?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        addr.0,
        addr.1,
        body.len()
    );
    s.write_all(head.as_bytes())?;
    body.send(&mut s)?;
    let mut r = BufReader::with_capacity(1 << 16, s);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: `{}`", line.trim())))?;
    let (mut length, mut chunked) = (None, false);
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap_or((l, ""));
        match k.to_ascii_lowercase().as_str() {
            "content-length" => length = v.trim().parse::<u64>().ok(),
            "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
            _ => {}
        }
    }
    if method == "HEAD" {
        return reply(status, &mut std::io::empty());
    }
    if chunked {
        let mut out = Vec::new();
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| std::io::Error::other("a bad chunk"))?;
            let mut chunk = vec![0u8; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
        }
        return reply(status, &mut std::io::Cursor::new(out));
    }
    match length {
        Some(n) => {
            let mut body = r.take(n);
            let value = reply(status, &mut body)?;
            // what the reply left unread (a 404's page) is drained; a body the server cut short is an error
            std::io::copy(&mut body, &mut std::io::sink())?;
            match body.limit() {
                0 => Ok(value),
                _ => Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the body ended early")),
            }
        }
        None => reply(status, &mut r),
    }
}

/// A body read whole, for small replies.
fn read_all(r: &mut dyn Read) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    r.read_to_end(&mut out)?;
    Ok(out)
}

/// Connecting to, and each reply of, a remote store: past it the store counts as down for this edge.
const REMOTE_LIMIT: Duration = Duration::from_secs(5);

/// A RESP command of bulk strings, each sent as it is (a blob streamed from its file).
fn resp_send(w: &mut impl Write, parts: &mut [Body]) -> std::io::Result<()> {
    w.write_all(format!("*{}\r\n", parts.len()).as_bytes())?;
    for p in parts {
        w.write_all(format!("${}\r\n", p.len()).as_bytes())?;
        p.send(w)?;
        w.write_all(b"\r\n")?;
    }
    Ok(())
}

/// One RESP reply: a bulk string's body to `bulk` as a stream (`Some` of what it returns), `None` for nil; a status
/// or an integer as its text; an error reply is an error.
fn resp_reply<T>(
    r: &mut impl BufRead,
    bulk: impl FnOnce(&mut dyn Read) -> std::io::Result<T>,
    status: impl FnOnce(&[u8]) -> std::io::Result<T>,
) -> std::io::Result<Option<T>> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    let text = String::from_utf8_lossy(&line).trim_end().to_string();
    let bad = || std::io::Error::other(format!("the store answered `{text}`"));
    match text.as_bytes().first() {
        Some(b'+') | Some(b':') => status(&text.as_bytes()[1..]).map(Some),
        Some(b'$') => {
            let n: i64 = text[1..].parse().map_err(|_| bad())?;
            if n < 0 {
                return Ok(None);
            }
            let mut body = r.take(n as u64);
            let value = bulk(&mut body)?;
            // what the reader left of the body, then its CRLF: the connection stays in step for the next command
            std::io::copy(&mut body, &mut std::io::sink())?;
            let mut crlf = [0u8; 2];
            r.read_exact(&mut crlf)?;
            Ok(Some(value))
        }
        _ => Err(bad()),
    }
}

impl Backend {
    /// This gate's Redis connection, opened at its first use (and the URL's database selected), handed to `f`; after
    /// a failure the store is down for the rest of this edge.
    fn with_redis<T>(&self, f: impl FnOnce(&TcpStream) -> std::io::Result<T>) -> std::io::Result<T> {
        let Backend::Redis { addr, db, conn } = self else { unreachable!("a Redis call on another store") };
        let mut slot = conn.borrow_mut();
        if slot.is_none() {
            *slot = Some(connect(addr).ok());
            if let (Some(Some(stream)), true) = (slot.as_ref(), *db != 0) {
                let db = db.to_string();
                let mut parts = [Body::Bytes(b"SELECT"), Body::Bytes(db.as_bytes())];
                if let Err(e) = command(stream, &mut parts, |r| resp_reply(r, read_all, |t| Ok(t.to_vec()))) {
                    *slot = Some(None);
                    return Err(e);
                }
            }
        }
        let Some(Some(stream)) = slot.as_ref() else {
            return Err(std::io::Error::other("cannot connect"));
        };
        let result = f(stream);
        if result.is_err() {
            *slot = Some(None);
        }
        result
    }

    /// One Redis command on this gate's connection; its reply to `reply`.
    fn redis<T>(
        &self,
        parts: &mut [Body],
        reply: impl FnOnce(&mut BufReader<&TcpStream>) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        self.with_redis(|stream| command(stream, parts, reply))
    }

    /// The blob `key` handed to `read` as one stream of `GETRANGE` pieces, a few asked ahead; `None` when there is no
    /// such value. Redis answers a `GET` by copying the whole value into a reply buffer of its own first: for a 125 MB
    /// archive that is 125 MB allocated, page-faulted in, copied and freed again per fetch (two thirds of the
    /// server's time on a fetch of Perry's runtime); a piece at a time it reuses one buffer. The length is asked
    /// with the first piece, in the same round trip a `GET` took.
    fn redis_blob<T>(
        &self,
        key: &str,
        read: impl FnOnce(&mut dyn Read) -> std::io::Result<T>,
    ) -> std::io::Result<Option<T>> {
        self.with_redis(|stream| {
            let mut pieces = Pieces::new(stream, key);
            let mut out = stream;
            resp_send(&mut out, &mut [Body::Bytes(b"STRLEN"), Body::Bytes(key.as_bytes())])?;
            pieces.ask()?;
            let len = resp_reply(&mut pieces.from, read_all, |t| Ok(t.to_vec()))?
                .and_then(|t| String::from_utf8(t).ok())
                .and_then(|t| t.parse::<u64>().ok())
                .unwrap_or(0);
            if len == 0 {
                // empty, or no such value: the first piece is empty either way, and `GET` tells them apart
                resp_reply(&mut pieces.from, read_all, |_| Err(std::io::Error::other("not a value")))?;
                resp_send(&mut out, &mut [Body::Bytes(b"GET"), Body::Bytes(key.as_bytes())])?;
                return resp_reply(&mut pieces.from, read, |_| Err(std::io::Error::other("not a value")));
            }
            pieces.len = len;
            for _ in 1..AHEAD {
                pieces.ask()?;
            }
            let value = read(&mut pieces)?;
            // what `read` left unread, so the connection stays in step
            std::io::copy(&mut pieces, &mut std::io::sink())?;
            Ok(Some(value))
        })
    }
}

/// One RESP command on `stream` and its reply to `reply`.
fn command<T>(
    mut stream: &TcpStream,
    parts: &mut [Body],
    reply: impl FnOnce(&mut BufReader<&TcpStream>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    resp_send(&mut stream, parts)?;
    reply(&mut BufReader::with_capacity(1 << 16, stream))
}

/// A blob is read from Redis in pieces of this size (`GETRANGE`), `AHEAD` of them asked at a time.
const PIECE: u64 = 1 << 20;
const AHEAD: usize = 4;

/// A Redis value read as one stream of `GETRANGE` replies: each reply's body in turn, the next piece asked for as one
/// is taken up, so `AHEAD` are on their way.
struct Pieces<'a> {
    out: &'a TcpStream,
    from: BufReader<&'a TcpStream>,
    key: &'a str,
    /// The value's length (`u64::MAX` until `STRLEN` answers: the first piece is asked beside it).
    len: u64,
    /// Pieces asked for, and taken up (their reply's head read).
    asked: u64,
    read: u64,
    /// What is left of the current piece's body, and whether its CRLF is still to be read.
    left: u64,
    crlf: bool,
}

impl<'a> Pieces<'a> {
    fn new(stream: &'a TcpStream, key: &'a str) -> Pieces<'a> {
        let from = BufReader::with_capacity(1 << 16, stream);
        Pieces { out: stream, from, key, len: u64::MAX, asked: 0, read: 0, left: 0, crlf: false }
    }

    fn count(&self) -> u64 {
        self.len.div_ceil(PIECE)
    }

    fn ask(&mut self) -> std::io::Result<()> {
        if self.asked == self.count() {
            return Ok(());
        }
        let (start, end) = (self.asked * PIECE, ((self.asked + 1) * PIECE).min(self.len) - 1);
        let (start, end) = (start.to_string(), end.to_string());
        let mut parts = [
            Body::Bytes(b"GETRANGE"),
            Body::Bytes(self.key.as_bytes()),
            Body::Bytes(start.as_bytes()),
            Body::Bytes(end.as_bytes()),
        ];
        let mut out = self.out;
        resp_send(&mut out, &mut parts)?;
        self.asked += 1;
        Ok(())
    }
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            if self.crlf {
                let mut crlf = [0u8; 2];
                self.from.read_exact(&mut crlf)?;
                self.crlf = false;
            }
            if self.read == self.count() {
                return Ok(0);
            }
            let mut head = Vec::new();
            self.from.read_until(b'\n', &mut head)?;
            let text = String::from_utf8_lossy(&head);
            let n: u64 = text
                .trim_end()
                .strip_prefix('$')
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| std::io::Error::other(format!("the store answered `{}`", text.trim_end())))?;
            self.read += 1;
            (self.left, self.crlf) = (n, true);
            if n == 0 {
                // an empty piece: the value is shorter than its length said (rewritten, or gone)
                return Err(std::io::Error::other("the value changed while it was read"));
            }
            self.ask()?;
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.from.read(&mut buf[..want])?;
        if got == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the store's reply ended early"));
        }
        self.left -= got as u64;
        Ok(got)
    }
}

/// Whether this gate is the first of the `ninja` run `run` to say something: it is when it creates the run's marker
/// `<stem>-<run>` in `dir` (exclusively, so two gates failing at once cannot both say it); it then removes the markers
/// of earlier runs.
fn first_to_say(dir: &Utf8Path, stem: &str, run: u32) -> bool {
    let mine = format!("{stem}-{run}");
    if std::fs::File::options().write(true).create_new(true).open(dir.join(&mine)).is_err() {
        return false;
    }
    if let Ok(entries) = dir.read_dir_utf8() {
        for old in entries.flatten().filter(|d| d.file_name().starts_with(stem) && d.file_name() != mine) {
            let _ = std::fs::remove_file(old.path());
        }
    }
    true
}

/// An output fetched: where, its bytes' hash, whether it is executable.
struct Fetched {
    path: Utf8PathBuf,
    hash: String,
    exec: bool,
}

impl Cache {
    /// The cache gen named for the build `output` belongs to, if any.
    pub fn open(output: &str) -> Option<Cache> {
        // in the nearest folder above the output that has it: the build folder (ninja's log may not exist yet)
        let file = Utf8Path::new(output).ancestors().skip(1).map(|d| d.join(proto::FILE)).find(|f| f.is_file())?;
        let text = std::fs::read_to_string(&file).ok()?;
        let (store, mode) = proto::parse(&text)?;
        let backend = match store {
            Store::Folder(root) => Backend::Folder(root),
            Store::Redis { host, port, db } => Backend::Redis { addr: (host, port), db, conn: RefCell::new(None) },
            Store::Http { host, port, path } => Backend::Http { addr: (host, port), path, down: Default::default() },
        };
        let url = text.lines().next().unwrap_or("").to_string();
        let builddir = file.parent().map(Utf8Path::to_owned).unwrap_or_default();
        let cwd = current_dir().ok()?;
        Some(Cache { backend, url, mode, cwd, builddir })
    }

    /// Says once per `ninja` run that the store failed (see [`first_to_say`]).
    fn warn_once(&self, what: &str, e: &std::io::Error) {
        if first_to_say(&self.builddir, &format!("{}.warned", proto::FILE), ninja_pid()) {
            eprintln!("warning: the shared cache {} cannot be {what} ({e}): edges run without it", self.url);
        }
    }

    /// A stored value handed to `read` as a stream (a folder store's file, a remote store's reply as it arrives):
    /// `None` when the store has no such value or cannot be read (said once), or `read` failed.
    fn read_with<T>(
        &self,
        kind: &str,
        name: &str,
        read: impl FnOnce(&mut dyn Read) -> std::io::Result<T>,
    ) -> Option<T> {
        let failed = |e: std::io::Error| {
            self.warn_once("read", &e);
            None
        };
        match &self.backend {
            Backend::Folder(root) => {
                read(&mut std::fs::File::open(root.join(kind).join(&name[..2]).join(name)).ok()?).ok()
            }
            Backend::Redis { .. } => {
                let key = format!("ninjabind:{kind}:{name}");
                if kind == "b" {
                    return self.backend.redis_blob(&key, read).unwrap_or_else(failed);
                }
                let get: &[u8] = b"GET";
                let mut parts = [Body::Bytes(get), Body::Bytes(key.as_bytes())];
                self.backend
                    .redis(&mut parts, |r| resp_reply(r, read, |_| Err(std::io::Error::other("not a value"))))
                    .unwrap_or_else(failed)
            }
            Backend::Http { addr, path, down } if !down.get() => {
                let got = http(addr, "GET", &format!("{path}/{kind}/{name}"), Body::Bytes(b""), |status, body| {
                    Ok(match status {
                        200 => Some(read(body)),
                        404 => None,
                        _ => Some(Err(std::io::Error::other(format!("HTTP {status}")))),
                    })
                });
                match got {
                    Ok(v) => v.transpose().unwrap_or_else(failed),
                    Err(e) => {
                        down.set(true);
                        failed(e)
                    }
                }
            }
            Backend::Http { .. } => None,
        }
    }

    fn get(&self, kind: &str, name: &str) -> Option<Vec<u8>> {
        self.read_with(kind, name, read_all)
    }

    /// Stores the file `path` as the blob `hash` unless the store has it; a folder store copies it in the kernel
    /// (`copy_file_range`, a reflink where the filesystem has them) instead of reading it into memory first.
    fn put_blob(&self, hash: &str, path: &Utf8Path) -> std::io::Result<()> {
        let Backend::Folder(root) = &self.backend else {
            let f = std::fs::File::open(path)?;
            let n = f.metadata()?.len();
            return self.put("b", hash, Body::File(f, n), false);
        };
        let at = root.join("b").join(&hash[..2]).join(hash);
        if at.exists() {
            return Ok(());
        }
        let dir = at.parent().unwrap_or(root);
        std::fs::create_dir_all(dir)?;
        let tmp = temp_for(&at);
        let copied = std::fs::copy(path, &tmp).and_then(|_| std::fs::rename(&tmp, &at));
        if copied.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        copied
    }

    /// Written once when `overwrite` is false (content-addressed names never change), atomically in a folder.
    fn put(&self, kind: &str, name: &str, body: Body, overwrite: bool) -> std::io::Result<()> {
        match &self.backend {
            Backend::Folder(root) => {
                let path = root.join(kind).join(&name[..2]).join(name);
                if !overwrite && path.exists() {
                    return Ok(());
                }
                let Body::Bytes(bytes) = body else { unreachable!("a folder store copies files itself") };
                write_cache(&path, bytes).map(|_| ()).map_err(std::io::Error::other)
            }
            Backend::Redis { .. } => {
                let key = format!("ninjabind:{kind}:{name}");
                let (set, nx): (&[u8], &[u8]) = (b"SET", b"NX");
                let mut parts = vec![Body::Bytes(set), Body::Bytes(key.as_bytes()), body];
                if !overwrite {
                    parts.push(Body::Bytes(nx));
                }
                self.backend.redis(&mut parts, |r| resp_reply(r, read_all, |t| Ok(t.to_vec()))).map(|_| ())
            }
            Backend::Http { addr, path, down } => {
                if down.get() {
                    return Err(std::io::Error::other("the store is down"));
                }
                let at = format!("{path}/{kind}/{name}");
                if !overwrite && http(addr, "HEAD", &at, Body::Bytes(b""), |s, _| Ok(s)).is_ok_and(|s| s == 200) {
                    return Ok(());
                }
                match http(addr, "PUT", &at, body, |s, r| read_all(r).map(|_| s)) {
                    Ok(200..=204) => Ok(()),
                    Ok(status) => Err(std::io::Error::other(format!("HTTP {status} to a PUT"))),
                    Err(e) => {
                        down.set(true);
                        Err(e)
                    }
                }
            }
        }
    }

    /// `p` as entries name it: relative to the folder ninja runs in when inside it.
    fn portable(&self, p: &Utf8Path) -> String {
        match p.strip_prefix(&self.cwd) {
            Ok(rel) => rel.to_string(),
            Err(_) => p.to_string(),
        }
    }

    /// The first name: the edge's key with this build's absolute folder and ninjabind's own path written as words
    /// that are the same in every clone, and its declared inputs' content.
    pub fn first_name(&self, rule: &str, key_words: &[String], inputs: &[Entry]) -> String {
        let exe = std::env::current_exe().ok().and_then(|e| e.to_str().map(str::to_string)).unwrap_or_default();
        let mut parts: Vec<String> = vec![rule.to_string()];
        for w in key_words {
            let w = if !exe.is_empty() { w.replace(&exe, "<ninjabind>") } else { w.clone() };
            parts.push(w.replace(self.cwd.as_str(), "<root>"));
        }
        for e in inputs.iter().filter(|e| e.kind == Kind::In) {
            parts.push(format!("{} {}", e.hash, self.portable(&e.path)));
        }
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        proto::name_of("ninjabind-cache 1", &refs)
    }

    fn second_name(first: &str, deps: &[(String, String)]) -> String {
        let mut parts = vec![first.to_string()];
        parts.extend(deps.iter().map(|(h, p)| format!("{h} {p}")));
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        proto::name_of("ninjabind-cache 2", &refs)
    }

    /// The outputs stored under `first`, written where the edge writes them when every blob checks out: the
    /// discovered inputs (for the record and ninja's depfile) and the outputs, as record entries. `None`: a miss.
    /// `allowed` says which paths the edge may write: an entry naming another is ignored (and said).
    pub fn fetch(
        &self,
        first: &str,
        hash_local: &mut dyn FnMut(&Utf8Path) -> Option<Entry>,
        allowed: &dyn Fn(&Utf8Path) -> bool,
    ) -> Option<Vec<Entry>> {
        if !self.mode.reads() {
            return None;
        }
        let e1 = String::from_utf8(self.get("e1", first)?).ok()?;
        // each discovered list the first entry keeps, the latest first: the first whose files this clone has and whose
        // second entry the store holds (a discovered input hashed once however many lists name it)
        let mut hashed: BTreeMap<String, Option<Entry>> = BTreeMap::new();
        let (mut entries, e2) = discovered_lists(&e1).find_map(|paths| {
            let mut entries = Vec::new();
            let mut deps = Vec::new();
            for path in paths {
                // a discovered input as this clone has it: another content is another second entry
                let local =
                    hashed.entry(path.to_string()).or_insert_with(|| hash_local(Utf8Path::new(path))).clone()?;
                deps.push((local.hash.clone(), path.to_string()));
                entries.push(Entry { kind: Kind::Dep, ..local });
            }
            let e2 = String::from_utf8(self.get("e2", &Cache::second_name(first, &deps))?).ok()?;
            Some((entries, e2))
        })?;
        let mut outs = Vec::new();
        for line in e2.lines() {
            let mut f = line.splitn(3, ' ');
            let (hash, exec, path) = (f.next()?, f.next()?, f.next()?);
            let path = Utf8PathBuf::from(path);
            if !allowed(&path) {
                eprintln!(
                    "warning: the shared cache's entry {first} names {path}, which this edge does not write: ignored"
                );
                return None;
            }
            outs.push(Fetched { path, hash: hash.into(), exec: exec == "x" });
        }
        // every blob streamed into a temp file beside its output and checked; only when all check out are they
        // renamed into place (a 125 MB archive is never held whole: reading it into memory cost a third of its fetch)
        let mut batch = Batch::unsynced();
        for o in &outs {
            let hash = self.read_with("b", &o.hash, |blob| {
                let mut hash = String::new();
                batch
                    .stage_with(&o.path, |w| copy_hashed(blob, Some(w)).map(|h| hash = h))
                    .map_err(std::io::Error::other)?;
                Ok(hash)
            })?;
            if hash != o.hash {
                eprintln!("warning: the shared cache's blob {} for {} fails its SHA-256: ignored", o.hash, o.path);
                return None;
            }
        }
        batch.commit().ok()?;
        for o in &outs {
            if o.exec {
                std::fs::set_permissions(&o.path, std::fs::Permissions::from_mode(0o755)).ok()?;
            }
            let st = stat(&o.path)?;
            entries.push(Entry { kind: Kind::Out, stat: st, hash: o.hash.clone(), path: o.path.clone() });
        }
        Some(entries)
    }

    /// Stores what a run produced: every output's bytes, then the second entry, then the first (a reader that finds
    /// the first finds the rest). A store that refuses is one warning; the build goes on.
    pub fn store(&self, first: &str, entries: &[Entry]) {
        if !self.mode.writes() {
            return;
        }
        let result = (|| -> std::io::Result<()> {
            let deps: Vec<(String, String)> = entries
                .iter()
                .filter(|e| e.kind == Kind::Dep)
                .map(|e| (e.hash.clone(), self.portable(&e.path)))
                .collect();
            let mut e2 = String::new();
            for o in entries.iter().filter(|e| e.kind == Kind::Out) {
                // an output outside the build's folder is not the edge's to hand to another machine
                if o.path.is_absolute() && !o.path.starts_with(&self.cwd) {
                    return Ok(());
                }
                self.put_blob(&o.hash, &o.path)?;
                let exec = std::fs::metadata(&o.path)?.permissions().mode() & 0o111 != 0;
                e2.push_str(&format!("{} {} {}\n", o.hash, if exec { "x" } else { "-" }, self.portable(&o.path)));
            }
            self.put("e2", &Cache::second_name(first, &deps), Body::Bytes(e2.as_bytes()), true)?;
            // this run's discovered list first, then the lists the entry kept that differ from it, as ccache's
            // manifest keeps several: a header set that changes back and forth hits both ways
            let mut lists: Vec<Vec<String>> = vec![deps.iter().map(|(h, p)| format!("{h} {p}")).collect()];
            let kept = self.get("e1", first).and_then(|b| String::from_utf8(b).ok());
            for list in kept.iter().flat_map(|k| lists_of(k)) {
                if lists.len() < KEPT_LISTS && !lists.iter().any(|l| *l == list) {
                    lists.push(list.into_iter().map(String::from).collect());
                }
            }
            let e1: Vec<String> = lists.iter().map(|l| l.iter().map(|line| format!("{line}\n")).collect()).collect();
            self.put("e1", first, Body::Bytes(e1.join(LIST_END).as_bytes()), true)
        })();
        if let Err(e) = result {
            self.warn_once("written", &e);
        }
    }
}

/// The line between two discovered lists in a first entry (an entry of one list, as earlier versions wrote, has
/// none; no `<sha256> <path>` line is this one).
const LIST_END: &str = "--\n";

/// How many discovered lists a first entry keeps, the latest first.
const KEPT_LISTS: usize = 4;

/// The lists of a first entry, each its `<sha256> <path>` lines, the latest first (`""` is one empty list).
fn lists_of(e1: &str) -> Vec<Vec<&str>> {
    let lines: Vec<&str> = e1.lines().collect();
    lines.split(|l| *l == "--").map(<[&str]>::to_vec).collect()
}

/// The discovered lists of a first entry, each the paths it names, the latest first. A line that is not of the
/// shape `<sha256> <path>` ends the entry's use: the lists before it are still tried.
fn discovered_lists(e1: &str) -> impl Iterator<Item = Vec<&str>> {
    lists_of(e1).into_iter().map_while(|list| list.into_iter().map(|l| l.split_once(' ').map(|(_, p)| p)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A first entry's lists, the latest first: an earlier version's entry is one list, `""` one empty list, an empty
    /// list keeps its place, and a line of another shape ends the lists tried.
    #[test]
    fn a_first_entry_holds_its_discovered_lists_latest_first() {
        assert_eq!(lists_of(""), vec![Vec::<&str>::new()]);
        assert_eq!(lists_of("h a\nh b\n"), vec![vec!["h a", "h b"]]);
        assert_eq!(lists_of("h a\n--\n--\nh b\n"), vec![vec!["h a"], vec![], vec!["h b"]]);
        let tried: Vec<Vec<&str>> = discovered_lists("h a\n--\nbad\n--\nh b\n").collect();
        assert_eq!(tried, vec![vec!["a"]]);
    }

    /// Eight gates of one run failing at once: exactly one says so; the next run's first gate says it again and its
    /// marker replaces the old one.
    #[test]
    fn one_gate_of_a_run_says_the_store_failed() {
        let t = tempfile::tempdir().unwrap();
        let dir = Utf8PathBuf::try_from(t.path().to_path_buf()).unwrap();
        let said: usize = std::thread::scope(|s| {
            let gates: Vec<_> = (0..8).map(|_| s.spawn(|| first_to_say(&dir, "x.warned", 41))).collect();
            gates.into_iter().map(|g| usize::from(g.join().unwrap())).sum()
        });
        assert_eq!(said, 1);
        assert!(!first_to_say(&dir, "x.warned", 41));
        assert!(first_to_say(&dir, "x.warned", 42));
        let left: Vec<String> = dir.read_dir_utf8().unwrap().map(|e| e.unwrap().file_name().to_string()).collect();
        assert_eq!(left, vec!["x.warned-42".to_string()]);
    }
}
