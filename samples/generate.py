#!/usr/bin/env python3
"""Generate sidtrace's sample site: a small clinic-reminder service on four
hosts, one day (2026-11-20, 13:00-19:00 UTC) of logs and Twilio's records.

Run from the repository root: python3 samples/generate.py
The output is deterministic (fixed seed, gzip mtime 0, zstd CLI).

Hosts
  web-1     nginx front (log_format "front", local time -0500) + Python app
            (structlog JSON, twilio-python) behind it
  web-2     Apache front (LogFormat "uid", +0100, clock 7 s fast) + Java app
            (logstash-logback JSON, twilio-java), same skew
  worker-1  Go job worker (zap JSON, twilio-go, 10 s client timeout)
  egress-1  nginx egress proxy in front of api.twilio.com (log_format
            "egress", UTC, logs the form body); its log has a hole
            17:00-17:45 between the rotated file and the current one
  cron-1    (no logs) a legacy cron host that also sends through egress-1

Incidents built in (recipient -> what happened) are listed in
samples/EXPECTED.md, which the end-to-end tests check.
"""

import gzip
import json
import os
import random
import subprocess
import urllib.parse
from datetime import datetime, timedelta, timezone

R = random.Random(20261120)
ROOT = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = "AC" + "7d2c1f0e9b8a47c6b5a4d3e2f1a0b9c8"
FROM = "+14155552671"
DAY = datetime(2026, 11, 20, tzinfo=timezone.utc)
START = DAY + timedelta(hours=13)
END = DAY + timedelta(hours=19)
EGRESS_HOLE = (DAY + timedelta(hours=17), DAY + timedelta(hours=17, minutes=45))
WEB2_SKEW = timedelta(seconds=7)

ADDR = {"web-1": "10.0.1.11", "web-2": "10.0.1.12", "worker-1": "10.0.1.21", "cron-1": "10.0.1.31"}
UA = {
    "web-1": "twilio-python/9.3.7 (Linux x86_64) Python/3.11.9",
    "web-2": "twilio-java/10.1.0 (Linux amd64) java/17.0.10",
    "worker-1": "twilio-go/1.23.0 (linux amd64) go/go1.22.5",
    "cron-1": "twilio-php/8.3.1 (Linux x86_64) PHP/8.2.7",
}
TWILIO_UPSTREAM = "54.172.60.1:443"
MSG_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
MSG_PATH = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def hexid(n=32):
    return "".join(R.choice("0123456789abcdef") for _ in range(n))


def sid(prefix="SM"):
    return prefix + hexid(32)


# ---------------------------------------------------------------- records
lines = {k: [] for k in ["front", "app1", "apache", "app2", "worker", "egress"]}
twilio = []  # dicts


def add(log, t, text, tag=None):
    lines[log].append((t, text, tag))


def clf(t, offset_hours):
    tz = timezone(timedelta(hours=offset_hours))
    lt = t.astimezone(tz)
    sign = "+" if offset_hours >= 0 else "-"
    oh = abs(offset_hours)
    return lt.strftime("%d/%b/%Y:%H:%M:%S ") + f"{sign}{oh:02d}00"


def front(t, client, method, path, status, size, ua, rt, rid, referer="-"):
    add("front", t, f'{client} - - [{clf(t, -5)}] "{method} {path} HTTP/1.1" {status} {size} '
        f'"{referer}" "{ua}" {rt:.3f} {rid}')


def apache(t_start, client, method, path, status, size, ua, dur_us, uid, referer="-"):
    t = t_start + WEB2_SKEW
    add("apache", t, f'{client} - - [{clf(t, 1)}] "{method} {path} HTTP/1.1" {status} {size} '
        f'"{referer}" "{ua}" {dur_us} {uid}')


def iso_z(t, digits=6):
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{t.microsecond:06d}"[:digits]
    return f"{s}.{frac}Z"


def app1(t, tag=None, **kv):
    rec = {"timestamp": iso_z(t), "level": kv.pop("level", "info")}
    rec.update(kv)
    add("app1", t, json.dumps(rec, separators=(", ", ": ")), tag)


def app2(t, tag=None, **kv):
    ts = t + WEB2_SKEW
    lt = ts.astimezone(timezone(timedelta(hours=1)))
    stamp = lt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{lt.microsecond // 1000:03d}+01:00"
    rec = {"@timestamp": stamp, "@version": "1"}
    level = kv.pop("level", "INFO")
    rec["message"] = kv.pop("message")
    rec["logger_name"] = kv.pop("logger_name", "com.acme.clinic.sms.TwilioSender")
    rec["thread_name"] = kv.pop("thread_name", "http-nio-8080-exec-3")
    rec["level"] = level
    rec["level_value"] = {"INFO": 20000, "WARN": 30000, "ERROR": 40000}[level]
    rec.update(kv)
    add("app2", ts, json.dumps(rec, separators=(",", ":")), tag)


def worker(t, msg, tag=None, **kv):
    rec = {"level": kv.pop("level", "info"), "ts": round(t.timestamp(), 6)}
    rec["logger"] = kv.pop("logger", "worker.sms")
    rec["caller"] = kv.pop("caller", "sms/twilio.go:52")
    rec["msg"] = msg
    rec.update(kv)
    add("worker", t, json.dumps(rec, separators=(",", ":")), tag)


def egress(t_end, host, status, rt, xrid, body, upstream_status=None, size=None):
    if EGRESS_HOLE[0] <= t_end < EGRESS_HOLE[1]:
        return
    ups = "-" if upstream_status is None else str(upstream_status)
    addr = "-" if upstream_status is None else TWILIO_UPSTREAM
    size = size if size is not None else (0 if status == 499 else 812)
    add("egress", t_end, f'{ADDR[host]} - {ACCOUNT} [{clf(t_end, 0)}] "POST {MSG_PATH} HTTP/1.1" '
        f'{status} {size} {rt:.3f} "{UA[host]}" "{xrid}" "{addr}" "{ups}" "{body}"', "post")


def egress_other(t_end, host, method, path, status, rt, xrid):
    if EGRESS_HOLE[0] <= t_end < EGRESS_HOLE[1]:
        return
    add("egress", t_end, f'{ADDR[host]} - {ACCOUNT} [{clf(t_end, 0)}] "{method} {path} HTTP/1.1" '
        f'{status} 640 {rt:.3f} "{UA[host]}" "{xrid}" "{TWILIO_UPSTREAM}" "{status}" "-"')


def form(to, body):
    return urllib.parse.urlencode({"To": to, "From": FROM, "Body": body})


def record(sid_, to, body, created, status="delivered"):
    twilio.append({"sid": sid_, "to": to, "body": body, "created": created, "status": status})


# ---------------------------------------------------------------- senders
def send_web1(t, rid, to, body, func="send_sms", lineno=41, logger="clinic.notify",
              latency=0.41, status=201, create=True, twilio_created=None):
    """The Python app's send: request record, egress line, response record."""
    app1(t, tag="app_request", event="twilio.request", logger=logger, func_name=func, lineno=lineno,
         request_id=rid, method="POST", url=MSG_URL, to=to, body=body)
    end = t + timedelta(seconds=latency)
    s = sid() if create and status < 300 else None
    egress(end - timedelta(milliseconds=3), "web-1", status, latency - 0.003, rid, form(to, body), status)
    if s:
        app1(end, tag="app_outcome", event="twilio.response", logger=logger, func_name=func, lineno=lineno + 6,
             request_id=rid, status_code=status, sid=s, elapsed_ms=round(latency * 1000, 1))
        record(s, to, body, twilio_created or (t + timedelta(seconds=latency / 2)))
    else:
        app1(end, tag="app_outcome", level="warning", event="twilio.response", logger=logger, func_name=func,
             lineno=lineno + 6, request_id=rid, status_code=status,
             error=f"HTTP {status} from Twilio: Too Many Requests" if status == 429 else f"HTTP {status}")
    return s


def web1_inbound(t, client, method, path, status, ua, handler, dur=0.6, referer="-"):
    rid = hexid(32)
    app1(t, event="request.started", logger="clinic.web", request_id=rid, method=method, path=path,
         handler=handler)
    front(t + timedelta(seconds=dur), client, method, path, status, R.randint(300, 4000), ua, dur, rid, referer)
    app1(t + timedelta(seconds=dur - 0.01), event="request.finished", logger="clinic.web", request_id=rid,
         path=path, status_code=status, duration_ms=round(dur * 1000, 1))
    return rid


def send_worker(t, job, to, body, caller="sms/twilio.go:52", latency=0.38, status=201,
                timeout=False, create=True, created_at=None):
    rid = hexid(16)
    worker(t, "twilio request", tag="app_request", method="POST", url=MSG_URL, to=to, body=body, job_id=job,
           request_id=rid, caller=caller)
    if timeout:
        end = t + timedelta(seconds=10)
        worker(end, "twilio request failed", tag="app_outcome", level="error", caller=caller.replace(":52", ":58"),
               job_id=job, request_id=rid,
               error=f'Post "{MSG_URL}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)')
        egress(end + timedelta(milliseconds=2), "worker-1", 499, 10.002, rid, form(to, body), None)
        if create:
            s = sid()
            record(s, to, body, created_at or (t + timedelta(seconds=8)))
            return s
        return None
    end = t + timedelta(seconds=latency)
    s = sid() if create and status < 300 else None
    egress(end - timedelta(milliseconds=2), "worker-1", status, latency - 0.002, rid, form(to, body), status)
    if s:
        worker(end, "twilio response", tag="app_outcome", caller=caller.replace(":52", ":61"), job_id=job, request_id=rid,
               status=status, sid=s, elapsed=round(latency, 3))
        record(s, to, body, created_at or (t + timedelta(seconds=latency / 2)))
    else:
        worker(end, "twilio request failed", tag="app_outcome", level="warn", caller=caller.replace(":52", ":58"), job_id=job,
               request_id=rid, status=status, error=f"Status: {status} - ApiError 20429: Too Many Requests")
    return s


def send_web2(t, uid, to, body, latency=0.31, statuses=(201,), log_sid=True, thread="http-nio-8080-exec-3"):
    """The Java app's send; twilio-java re-sends a 5xx itself 100 ms later."""
    cur = t
    sids = []
    for i, st in enumerate(statuses):
        end = cur + timedelta(seconds=latency)
        egress(end, "web-2", st, latency, uid, form(to, body), st)
        s = sid()
        record(s, to, body, cur + timedelta(seconds=latency / 2))
        sids.append(s)
        cur = end + timedelta(milliseconds=100)
    final = statuses[-1]
    total_ms = int((cur - t).total_seconds() * 1000) - 100
    kv = dict(request_id=uid, method="POST", url=MSG_URL, to=to, http_status=final, duration_ms=total_ms,
              thread_name=thread)
    if log_sid:
        kv["twilio_sid"] = sids[-1]
        msg = f"Twilio message created sid={sids[-1]} status=queued"
    else:
        msg = "Twilio message accepted"
    app2(t + timedelta(milliseconds=total_ms), tag="app_request", message=msg, **kv)
    return sids


def web2_inbound(t, client, method, path, status, ua, handler, dur_us=350000):
    uid = "".join(R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for _ in range(27))
    apache(t, client, method, path, status, R.randint(300, 3000), ua, dur_us, uid)
    app2(t + timedelta(microseconds=dur_us - 5000), message=f"Completed {method} {path} with {status}",
         logger_name="com.acme.clinic.web.AccessLog", request_id=uid, thread_name="http-nio-8080-exec-3")
    return uid


# ---------------------------------------------------------------- traffic
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
]
PAGES = ["/", "/appointments", "/appointments/new", "/static/app.css", "/static/app.js", "/login", "/doctors"]
TWILIO_UA = "TwilioProxy/1.1"
normal_people = [f"+1415555{n:04d}" for n in range(200, 260)]
bodies = [
    "Reminder: your appointment with Dr. Chen is tomorrow at {h}. Reply C to confirm.",
    "Acme Clinic: your lab results are ready. Log in to view them.",
    "Your verification code is {code}.",
]


def people():
    """Each stream cycles through everyone before repeating, so no one gets
    the same text twice within hours by chance."""
    order = normal_people[:]
    R.shuffle(order)
    i = 0
    while True:
        yield order[i % len(order)]
        i += 1


def background():
    # worker job runs: one reminder every ~4 minutes to ordinary people
    t = START + timedelta(minutes=2)
    who = people()
    while t < END:
        to = next(who)
        job = "job-" + hexid(12)
        worker(t, "job started", logger="worker.jobs", caller="jobs/runner.go:40", job_id=job, queue="reminders",
               attempt=1, pid=4121)
        send_worker(t + timedelta(milliseconds=15), job, to,
                    bodies[0].format(h=R.choice(["9:30 AM", "11:00 AM", "2:15 PM"])))
        worker(t + timedelta(seconds=1), "job finished", logger="worker.jobs", caller="jobs/runner.go:71",
               job_id=job, pid=4121)
        t += timedelta(seconds=R.uniform(200, 300))
    # web-2: some ordinary sends with SIDs logged (these pairs teach the clock offset)
    t = START + timedelta(minutes=5)
    who2 = people()
    while t < END:
        uid = web2_inbound(t, f"198.51.100.{R.randint(2, 250)}", "POST", "/api/results/notify", 200,
                           "okhttp/4.12.0", "results")
        send_web2(t + timedelta(milliseconds=20), uid, next(who2), bodies[1])
        t += timedelta(seconds=R.uniform(600, 900))
    # web-1: verification codes
    t = START + timedelta(minutes=7)
    who3 = people()
    while t < END:
        rid = web1_inbound(t, f"203.0.113.{R.randint(2, 250)}", "POST", "/login/code", 200, R.choice(BROWSERS),
                           "auth.send_code", dur=0.7)
        send_web1(t + timedelta(milliseconds=30), rid, next(who3),
                  bodies[2].format(code=R.randint(100000, 999999)), func="send_code", lineno=77,
                  logger="clinic.auth")
        t += timedelta(seconds=R.uniform(500, 800))


def at(h, m, s=0, ms=0):
    return DAY + timedelta(hours=h, minutes=m, seconds=s, milliseconds=ms)


def incidents():
    # 1. retry after a client timeout (worker-1, twilio-go 10 s)
    to = "+14155550101"
    body = "Reminder: your appointment with Dr. Chen is tomorrow at 9:30 AM. Reply C to confirm."
    job = "job-a1b2c3d4e5f6"
    worker(at(14, 0), "job started", logger="worker.jobs", caller="jobs/runner.go:40", job_id=job,
           queue="reminders", attempt=1, pid=4121)
    send_worker(at(14, 0, 0, 20), job, to, body, timeout=True, created_at=at(14, 0, 8))
    worker(at(14, 0, 10, 620), "retrying twilio send", level="warn", logger="worker.sms",
           caller="sms/twilio.go:70", job_id=job, attempt=2)
    send_worker(at(14, 0, 10, 640), job, to, body)
    worker(at(14, 0, 11, 200), "job finished", logger="worker.jobs", caller="jobs/runner.go:71", job_id=job, pid=4121)

    # 2. double submit: two POST /appointments/confirm from one browser 400 ms apart
    to = "+14155550102"
    body = "Your appointment on Nov 21 at 9:30 AM is confirmed."
    for i, dt in enumerate([0, 420]):
        t = at(14, 20, 5, dt)
        rid = web1_inbound(t, "198.51.100.23", "POST", "/appointments/confirm", 302, BROWSERS[1],
                           "appointments.confirm", dur=0.9, referer="https://clinic.example/appointments/8812")
        send_web1(t + timedelta(milliseconds=40), rid, to, body, func="confirm_appointment", lineno=112,
                  logger="clinic.appointments")

    # 3. a job processed twice: the queue redelivered it after its visibility timeout
    to = "+14155550103"
    body = "Reminder: your appointment with Dr. Osei is tomorrow at 11:00 AM. Reply C to confirm."
    job = "job-77f0e1d2c3b4"
    for t, pid in [(at(15, 0), 4121), (at(15, 5, 1), 4188)]:
        worker(t, "job started", logger="worker.jobs", caller="jobs/runner.go:40", job_id=job,
               queue="reminders", attempt=1 if pid == 4121 else 2, pid=pid)
        send_worker(t + timedelta(milliseconds=15), job, to, body)
        worker(t + timedelta(seconds=31 if pid == 4121 else 1), "job finished", logger="worker.jobs",
               caller="jobs/runner.go:71", job_id=job, pid=pid)

    # 4. a carrier-side duplicate: one request, one record (web-2; its clock is 7 s fast)
    to = "+14155550104"
    t = at(15, 30, 12)
    uid = web2_inbound(t, "198.51.100.77", "POST", "/api/results/notify", 200, "okhttp/4.12.0", "results")
    send_web2(t + timedelta(milliseconds=25), uid, to, "Acme Clinic: your lab results are ready. Log in to view them.",
              log_sid=False)

    # 5. twilio-java re-sent a POST that got a 502, 100 ms later, inside one call
    to = "+14155550105"
    t = at(16, 0, 30)
    uid = web2_inbound(t, "198.51.100.80", "POST", "/api/results/notify", 200, "okhttp/4.12.0", "results")
    send_web2(t + timedelta(milliseconds=25), uid, to, "Acme Clinic: your prescription is ready for pickup.",
              statuses=(502, 201))

    # 6. two code paths: the signup view and a post-save hook both send the welcome
    to = "+14155550106"
    body = "Welcome to Acme Clinic! Reply STOP to opt out."
    t = at(16, 20, 40)
    rid = web1_inbound(t, "203.0.113.45", "POST", "/signup", 302, BROWSERS[0], "accounts.signup", dur=1.4)
    send_web1(t + timedelta(milliseconds=60), rid, to, body, func="on_user_created", lineno=23,
              logger="clinic.accounts.signals")
    send_web1(t + timedelta(milliseconds=700), rid, to, body, func="signup_view", lineno=58,
              logger="clinic.accounts.views")

    # 7. one job run sent twice to the same person: the batch listed them twice
    to = "+14155550107"
    body = "Acme Clinic will be closed on Thanksgiving (Nov 26). Call 415-555-0199 for urgent care."
    job = "job-batch-5c6d7e"
    worker(at(16, 40), "job started", logger="worker.jobs", caller="jobs/runner.go:40", job_id=job,
           queue="announcements", attempt=1, pid=4121)
    t = at(16, 40, 0, 50)
    for other in [normal_people[3], to, normal_people[9], to]:
        send_worker(t, job, other, body, caller="announce/batch.go:33")
        t += timedelta(milliseconds=450)
    worker(t, "job finished", logger="worker.jobs", caller="jobs/runner.go:71", job_id=job, pid=4121)

    # 8. inconclusive: a second record while egress-1's log has a hole (cron-1 has no logs)
    to = "+14155550109"
    body = "Reminder: your flu shot appointment is tomorrow at 2:15 PM."
    job = "job-0f9e8d7c6b5a"
    worker(at(17, 10), "job started", logger="worker.jobs", caller="jobs/runner.go:40", job_id=job,
           queue="reminders", attempt=1, pid=4188)
    send_worker(at(17, 10, 0, 20), job, to, body)
    record(sid(), to, body, at(17, 12, 31))  # sent by cron-1, seen by no log

    # 9. twilio_side: one request everywhere, two records at Twilio
    to = "+14155550108"
    body = "Your verification code is 482913."
    t = at(18, 10, 3)
    rid = web1_inbound(t, "203.0.113.61", "POST", "/login/code", 200, BROWSERS[2], "auth.send_code", dur=0.7)
    send_web1(t + timedelta(milliseconds=30), rid, to, body, func="send_code", lineno=77, logger="clinic.auth")
    record(sid(), to, body, t + timedelta(seconds=2))

    # 10. a 429 followed by a success: not a duplicate
    to = "+14155550110"
    body = "Reminder: your appointment with Dr. Chen is tomorrow at 2:15 PM. Reply C to confirm."
    job = "job-3e4f5a6b7c8d"
    send_worker(at(13, 40, 2), job, to, body, status=429, create=False)
    send_worker(at(13, 40, 3, 100), job, to, body)

    # 11. two different texts to one person: not a duplicate
    to = "+14155550111"
    t = at(14, 45, 0)
    rid = web1_inbound(t, "203.0.113.99", "POST", "/appointments/confirm", 302, BROWSERS[0],
                       "appointments.confirm", dur=0.8)
    send_web1(t + timedelta(milliseconds=40), rid, to, "Your appointment on Nov 24 at 10:00 AM is confirmed.",
              func="confirm_appointment", lineno=112, logger="clinic.appointments")
    t = at(14, 47, 10)
    rid = web1_inbound(t, "203.0.113.99", "POST", "/appointments/prepare", 200, BROWSERS[0],
                       "appointments.prepare", dur=0.5)
    send_web1(t + timedelta(milliseconds=40), rid, to, "Please bring your insurance card to your visit.",
              func="send_prep_note", lineno=140, logger="clinic.appointments")

    # an inbound SMS webhook answered over REST (not a duplicate, and the webhook is not a send)
    to = "+14155550230"
    t = at(13, 31, 10)
    rid = web1_inbound(t, "54.244.51.3", "POST", "/twilio/inbound", 200, TWILIO_UA, "webhooks.inbound", dur=0.5)
    app1(t + timedelta(milliseconds=5), event="twilio.inbound_message", logger="clinic.webhooks", request_id=rid,
         MessageSid=sid(), SmsStatus="received", From=to, To=FROM, Body="C")
    send_web1(t + timedelta(milliseconds=50), rid, to, "Thanks, your appointment is confirmed.",
              func="handle_inbound", lineno=35, logger="clinic.webhooks")


def background_pages():
    t = START
    while t < END:
        t += timedelta(seconds=R.uniform(8, 22))
        kind = R.random()
        if kind < 0.55:
            web1_inbound(t, f"203.0.113.{R.randint(2, 250)}", "GET", R.choice(PAGES), 200, R.choice(BROWSERS),
                         "pages.view", dur=R.uniform(0.02, 0.3))
        elif kind < 0.75:
            web2_inbound(t, f"198.51.100.{R.randint(2, 250)}", "GET", R.choice(["/api/slots", "/api/doctors", "/health"]),
                         200, "okhttp/4.12.0", "api", dur_us=R.randint(3000, 90000))
        elif kind < 0.85:
            # a status callback from Twilio for some earlier message
            done = [r for r in twilio if r["created"] < t - timedelta(seconds=5)]
            if done:
                r = R.choice(done)
                rid = web1_inbound(t, "54.244.51.3", "POST", "/twilio/status", 204, TWILIO_UA, "webhooks.status",
                                   dur=0.015)
                app1(t + timedelta(milliseconds=5), event="twilio.status_callback", logger="clinic.webhooks",
                     request_id=rid, MessageSid=r["sid"], MessageStatus="delivered", To=r["to"])
        else:
            # egress: a message fetch or a lookup
            host = R.choice(["web-1", "worker-1"])
            done = [r for r in twilio if r["created"] < t]
            if done:
                r = R.choice(done)
                egress_other(t, host, "GET", f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{r['sid']}.json", 200,
                             R.uniform(0.05, 0.2), hexid(16))


background()
incidents()
background_pages()

# a TLS handshake to the front's plain port, and a scanner: real fronts see these
add("front", at(15, 12, 9), '185.220.101.4 - - [' + clf(at(15, 12, 9), -5) + '] "\\x16\\x03\\x01\\x00\\xCA\\x01\\x00\\x00\\xC6\\x03\\x03" 400 157 "-" "-" 0.001 ' + hexid(32))
add("front", at(16, 2, 44), '185.220.101.4 - - [' + clf(at(16, 2, 44), -5) + '] "GET /.env HTTP/1.1" 404 153 "-" "Mozilla/5.0 zgrab/0.x" 0.000 ' + hexid(32))


# ---------------------------------------------------------------- write
TAGGED = []


def write(path, entries):
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    entries = sorted(entries, key=lambda e: e[0])
    for n, e in enumerate(entries, 1):
        if e[2]:
            TAGGED.append((e[2], "samples/" + path, n))
    data = "".join(e[1] + "\n" for e in entries).encode()
    if path.endswith(".gz"):
        with open(full, "wb") as f:
            with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as g:
                g.write(data)
    elif path.endswith(".zst"):
        subprocess.run(["zstd", "-q", "-f", "-19", "-o", full], input=data, check=True)
    else:
        with open(full, "wb") as f:
            f.write(data)


def split(entries, *bounds):
    out = []
    lo = None
    for b in list(bounds) + [None]:
        out.append([e for e in entries if (lo is None or e[0] >= lo) and (b is None or e[0] < b)])
        lo = b
    return out


old, mid, new = split(lines["front"], at(15, 0), at(17, 0))
write("logs/web-1/nginx/access.log.2.gz", old)
write("logs/web-1/nginx/access.log.1", mid)
write("logs/web-1/nginx/access.log", new)
old, new = split(lines["app1"], at(16, 0))
write("logs/web-1/app/clinic.log.1.gz", old)
write("logs/web-1/app/clinic.log", new)
write("logs/web-2/apache2/access.log", lines["apache"])
write("logs/web-2/app/clinic-api.json.log", lines["app2"])
old, new = split(lines["worker"], at(16, 30))
write("logs/worker-1/worker.log-20261120.zst", old)
write("logs/worker-1/worker.log", new)
old, new = split(lines["egress"], EGRESS_HOLE[0])
write("logs/egress-1/nginx/twilio-egress.log.1.gz", old)
write("logs/egress-1/nginx/twilio-egress.log", new)

# Twilio: a Bulk Export day file (ISO 8601, date_created) and the Console CSV (SentDate only).
twilio.sort(key=lambda r: (r["created"], r["sid"]))
bulk = []
for r in twilio:
    c = r["created"].replace(microsecond=0)
    bulk.append((r["created"], json.dumps({
        "sid": r["sid"], "account_sid": ACCOUNT, "messaging_service_sid": None, "from": FROM, "to": r["to"],
        "body": r["body"], "status": r["status"], "direction": "outbound-api", "num_segments": "1",
        "num_media": "0", "price": "-0.00790", "error_code": None,
        "date_created": c.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date_sent": (c + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date_updated": (c + timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }, separators=(",", ":")), None))
write("twilio/export_2026-11-20.json.gz", bulk)

import csv
import io
buf = io.StringIO()
w = csv.writer(buf, lineterminator="\n")
w.writerow(["From", "To", "Body", "Status", "SentDate", "ApiVersion", "NumSegments", "ErrorCode", "AccountSid",
            "Sid", "Direction", "Price", "PriceUnit"])
for r in reversed(twilio):  # the Console lists newest first
    sent = r["created"].replace(microsecond=0) + timedelta(seconds=1)
    w.writerow([FROM, r["to"], r["body"], r["status"], sent.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                "2010-04-01", "1", "", ACCOUNT, r["sid"], "outbound-api", "-0.00790", "USD"])
with open(os.path.join(ROOT, "twilio/messages-console-export.csv"), "w", encoding="utf-8-sig", newline="") as f:
    f.write(buf.getvalue())

with open(os.path.join(ROOT, "expected-posts.tsv"), "w") as f:
    f.write("# kind\tfile\tline: every line of an outbound POST to the Messages API (written by generate.py)\n")
    for kind, path, n in sorted(TAGGED, key=lambda x: (x[1], x[2])):
        f.write(f"{kind}\t{path}\t{n}\n")

print(f"wrote {sum(len(v) for v in lines.values())} log lines and {len(twilio)} Twilio records")
