"""Prints the mails of a maildir (as aiosmtpd's Mailbox handler writes them) as a JSON array,
decoded by Python's own email package: headers, the text part, the attachments."""

import email
import email.policy
import json
import mailbox
import sys


def describe(message):
    body = message.get_body(preferencelist=("plain",))
    return {
        "from": str(message["From"]),
        "to": str(message["To"]),
        "envelope_from": str(message["X-MailFrom"]),
        "envelope_to": str(message["X-RcptTo"]),
        "subject": str(message["Subject"]),
        "message_id": str(message["Message-ID"]),
        "date": str(message["Date"]),
        "content_language": str(message["Content-Language"]),
        "content_type": message.get_content_type(),
        "text": body.get_content() if body is not None else None,
        "attachments": [
            {
                "filename": part.get_filename(),
                "content_type": part.get_content_type(),
                "content": part.get_payload(decode=True).decode("utf-8"),
            }
            for part in message.iter_attachments()
        ],
    }


def main(folder):
    box = mailbox.Maildir(folder, factory=None, create=False)
    mails = []
    for key in box.keys():
        with box.get_file(key) as raw:
            parsed = email.message_from_binary_file(raw, policy=email.policy.default)
        mails.append(describe(parsed))
    json.dump(mails, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
