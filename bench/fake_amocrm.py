#!/usr/bin/env python3
"""A minimal amoCRM for the drain benchmark (bench/amocrm-drain.sh), on loopback only.

OAuth2 token endpoint (code exchange and rotating refresh), leads/complex (≤ 50 leads,
bare-array answer), contacts and leads search (204 when empty), notes, and amoCRM's limit:
more than 7 requests in a second get 429 with an empty body. It counts what it served and
prints the counts as JSON on GET /_stats.
"""
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

lock = threading.Lock()
state = {"access": None, "refresh": None, "codes": {"bench-code"}, "leads": [], "contacts": {},
         "notes": 0, "requests": [], "rate_limited": 0, "next_id": 30000001}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=None):
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/hal+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def api_allowed(self):
        now = time.monotonic()
        with lock:
            state["requests"].append(now)
            recent = [t for t in state["requests"] if now - t < 1.0]
            if len(recent) > 7:
                state["rate_limited"] += 1
                return "limited"
            if self.headers.get("Authorization") != "Bearer %s" % state["access"]:
                return "unauthorized"
        return "ok"

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/_stats":
            with lock:
                return self.reply(200, {"api_requests": len(state["requests"]), "leads": len(state["leads"]),
                                        "notes": state["notes"], "rate_limited": state["rate_limited"]})
        allowed = self.api_allowed()
        if allowed != "ok":
            return self.reply(429 if allowed == "limited" else 401, None if allowed == "limited" else {"status": 401})
        query = parse_qs(url.query).get("query", [""])[0]
        with lock:
            if url.path == "/api/v4/contacts":
                found = [{"id": cid} for key, cid in state["contacts"].items() if key == query]
                return self.reply(200, {"_embedded": {"contacts": found}}) if found else self.reply(204)
            if url.path == "/api/v4/leads":
                found = [{"id": l["id"], "name": l["name"]} for l in state["leads"] if query in l["name"]]
                return self.reply(200, {"_embedded": {"leads": found}}) if found else self.reply(204)
        self.reply(404, {"status": 404})

    def do_POST(self):
        url = urlparse(self.path)
        if url.path == "/oauth2/access_token":
            body = self.body()
            with lock:
                ok = (body.get("grant_type") == "authorization_code" and body.get("code") in state["codes"]) or \
                     (body.get("grant_type") == "refresh_token" and body.get("refresh_token") == state["refresh"])
                if not ok:
                    return self.reply(401, {"hint": "Token has been revoked", "status": 401})
                state["codes"].discard(body.get("code"))
                state["access"], state["refresh"] = "access-" + uuid.uuid4().hex, "def502-" + uuid.uuid4().hex
                return self.reply(200, {"token_type": "Bearer", "expires_in": 86400, "access_token": state["access"],
                                        "refresh_token": state["refresh"]})
        allowed = self.api_allowed()
        if allowed != "ok":
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return self.reply(429 if allowed == "limited" else 401, None if allowed == "limited" else {"status": 401})
        body = self.body()
        with lock:
            if url.path == "/api/v4/leads/complex":
                results = []
                for lead in body[:50]:
                    lead_id = state["next_id"]
                    state["next_id"] += 1
                    contact = (lead.get("_embedded", {}).get("contacts") or [{}])[0]
                    contact_id = contact.get("id")
                    if contact_id is None:
                        contact_id = 40000000 + lead_id
                        for field in contact.get("custom_fields_values", []):
                            state["contacts"][field["values"][0]["value"]] = contact_id
                    state["leads"].append({"id": lead_id, "name": lead["name"]})
                    results.append({"id": lead_id, "contact_id": contact_id, "company_id": None,
                                    "request_id": [lead.get("request_id", "0")], "merged": False})
                return self.reply(200, results)
            if url.path == "/api/v4/leads/notes":
                state["notes"] += len(body)
                return self.reply(200, {"_embedded": {"notes": [{"id": i} for i in range(len(body))]}})
        self.reply(404, {"status": 404})


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.serve_forever()
