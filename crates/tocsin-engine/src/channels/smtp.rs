//! E-mail over plain SMTP to the configured relay: EHLO (HELO when EHLO is refused),
//! MAIL FROM, RCPT TO, DATA with dot-stuffing, QUIT. The mail is composed by [`super::mail`].
//!
//! A 4xx reply is retryable (the relay is busy, the mailbox is full for now), a 5xx reply is
//! not (the address or the mail is refused); a refused or broken connection and a timeout are
//! retryable. The relay is trusted to deliver further; no authentication, no STARTTLS.

use super::{DeliveryError, Message, SmtpSettings, connect, excerpt, mail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The longest reply line read.
const MAX_LINE: u64 = 4096;

/// Hands the message for `to` to the relay.
pub fn send(
    smtp: &SmtpSettings,
    to: &str,
    message: &Message,
    timeout: Duration,
) -> Result<(), DeliveryError> {
    let what = format!("e-mail to {to} through {}", smtp.server);
    for (name, address) in [("recipient", to), ("sender", &smtp.from)] {
        check_address(address)
            .map_err(|e| DeliveryError::permanent(format!("{what}: {name} {address:?} {e}")))?;
    }
    let stream = connect("SMTP server", &smtp.server, timeout)?;
    let mut session = Session {
        reader: BufReader::new(stream.try_clone().map_err(|e| io(&what, e))?),
        writer: stream,
        what: &what,
    };
    session.expect(None, 220)?;
    if session
        .command(&format!("EHLO {}", smtp.helo), 250)
        .is_err()
    {
        session.command(&format!("HELO {}", smtp.helo), 250)?;
    }
    session.command(&format!("MAIL FROM:<{}>", smtp.from), 250)?;
    session.command(&format!("RCPT TO:<{to}>"), 250)?;
    session.command("DATA", 354)?;
    let data = dot_stuffed(&mail::compose(message, smtp, to));
    session.send(&format!("{data}.\r\n"))?;
    session.expect(Some("the end of DATA"), 250)?;
    // The mail is accepted: a failing QUIT changes nothing.
    let _ = session.command("QUIT", 221);
    Ok(())
}

/// A bare `local@domain` without spaces, angle brackets or line breaks.
pub(crate) fn check_address(address: &str) -> Result<(), &'static str> {
    let bad = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>');
    match address.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !address.contains(bad) =>
        {
            Ok(())
        }
        _ => Err("is not an address (local@domain)"),
    }
}

/// The data with every line starting with `.` given another one (RFC 5321 4.5.2).
fn dot_stuffed(data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 16);
    for line in data.split_inclusive("\r\n") {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
    }
    if !out.ends_with("\r\n") {
        out.push_str("\r\n");
    }
    out
}

struct Session<'a> {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    what: &'a str,
}

impl Session<'_> {
    fn command(&mut self, line: &str, wanted: u16) -> Result<(), DeliveryError> {
        self.send(&format!("{line}\r\n"))?;
        let verb = line.split([' ', ':']).next().unwrap_or(line);
        self.expect(Some(verb), wanted)
    }

    fn send(&mut self, text: &str) -> Result<(), DeliveryError> {
        self.writer
            .write_all(text.as_bytes())
            .and_then(|()| self.writer.flush())
            .map_err(|e| io(self.what, e))
    }

    /// Reads one reply (all its lines) and checks its code.
    fn expect(&mut self, after: Option<&str>, wanted: u16) -> Result<(), DeliveryError> {
        let (code, text) = self.reply()?;
        if code == wanted {
            return Ok(());
        }
        let after = after.map(|a| format!(" after {a}")).unwrap_or_default();
        Err(DeliveryError {
            retryable: (400..500).contains(&code),
            reason: format!(
                "{}: the server answered {code}{after}: {}",
                self.what,
                excerpt(&text, 200)
            ),
        })
    }

    /// `(code, text)` of a reply; continuation lines (`250-…`) are joined.
    fn reply(&mut self) -> Result<(u16, String), DeliveryError> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let read = (&mut self.reader).take(MAX_LINE).read_line(&mut line);
            if read.map_err(|e| io(self.what, e))? == 0 {
                return Err(DeliveryError::retry(format!(
                    "{}: the server closed the connection",
                    self.what
                )));
            }
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code else {
                return Err(DeliveryError::permanent(format!(
                    "{}: not an SMTP reply: {}",
                    self.what,
                    excerpt(&line, 80)
                )));
            };
            text.push_str(line.get(4..).unwrap_or_default().trim_end());
            text.push(' ');
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, text));
            }
        }
    }
}

fn io(what: &str, error: std::io::Error) -> DeliveryError {
    DeliveryError::retry(format!("{what}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_starting_with_a_dot_are_stuffed() {
        assert_eq!(
            dot_stuffed("a\r\n.b\r\n..\r\nc.\r\n"),
            "a\r\n..b\r\n...\r\nc.\r\n"
        );
        assert_eq!(dot_stuffed(".x"), "..x\r\n");
    }

    #[test]
    fn addresses_are_bare() {
        for (address, ok) in [
            ("xa@hanoi.vn", true),
            ("x@y", true),
            ("xa@hanoi.vn>\r\nRCPT TO:<b@c", false),
            ("no-at", false),
            ("@hanoi.vn", false),
            ("a b@c", false),
        ] {
            assert_eq!(check_address(address).is_ok(), ok, "{address}");
        }
    }
}
