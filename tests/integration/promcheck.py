#!/usr/bin/env python3
"""Checks what a real Prometheus server scraped from `wattson run
--metrics` against the run's JSONL trace, through Prometheus's HTTP API
(https://prometheus.io/docs/prometheus/latest/querying/api/).

usage: promcheck.py wait PROM_URL N          wait until N scrapes of wattson are stored
       promcheck.py check PROM_URL TRACE     the series, labels and values

Standard library only.  Prints one line per failure, exits 1 on any.
"""
import json
import sys
import time
import urllib.parse
import urllib.request


def api(base, path, **params):
    q = urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(f"{base}/api/v1/{path}?{q}", timeout=10) as r:
        d = json.load(r)
    if d.get("status") != "success":
        raise RuntimeError(f"{path}: {d}")
    return d["data"]


def wait(base, n):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            got = api(base, "query", query="count_over_time(wattson_tick[10m])")
            if got["result"] and float(got["result"][0]["value"][1]) >= n:
                print(f"{int(float(got['result'][0]['value'][1]))} scrapes stored")
                return 0
        except (OSError, RuntimeError):
            pass
        time.sleep(0.5)
    print(f"fewer than {n} scrapes after 60 s", file=sys.stderr)
    return 1


def near(a, b):
    # The trace prints 9 significant digits (%.9g), the endpoint 12.
    return abs(a - b) <= 1e-8 * max(abs(a), abs(b)) + 1e-12


def check(base, trace):
    bad = []
    lines = [json.loads(l) for l in open(trace)]
    head = lines[0]
    ticks = {l["tick"]: l for l in lines if l["type"] == "tick"}
    summary = lines[-1]
    devs = {d["name"]: d for d in head["devices"]}

    # Every device's power series, with its kind and driver.
    series = api(base, "series", **{"match[]": "wattson_device_power_watts"})
    got = {s["device"]: s for s in series}
    for name, d in devs.items():
        if "power" not in d["signals"]:
            continue
        s = got.get(name)
        if not s:
            bad.append(f"no wattson_device_power_watts for {name}")
        elif s.get("kind") != d["kind"] or s.get("driver") != d["driver"]:
            bad.append(f"{name}: labels {s} against kind {d['kind']} driver {d['driver']}")
    # Counters carry _total, units are base units.
    for m in ("wattson_device_energy_joules_total", "wattson_device_freq_hertz",
              "wattson_device_temp_celsius", "wattson_control_power_cap_watts",
              "wattson_run_ticks_total", "wattson_run_energy_joules",
              "wattson_vgpu_sm_share_ratio", "wattson_vgpu_reallocs_total",
              "wattson_policy_active"):
        if not api(base, "series", **{"match[]": m}):
            bad.append(f"no series {m}")

    # Each stored scrape against the trace line of the tick it names.
    end = time.time()
    rng = api(base, "query_range", query='{__name__=~"wattson_tick|wattson_device_power_watts|wattson_vgpu_sm_share_ratio|wattson_run_ticks_total"}',
              start=end - 600, end=end, step="0.5")
    by_time = {}
    for s in rng["result"]:
        for t, v in s["values"]:
            by_time.setdefault(t, []).append((s["metric"], float(v)))
    compared = 0
    for t, samples in by_time.items():
        tick = [v for m, v in samples if m["__name__"] == "wattson_tick"]
        if not tick:
            continue
        line = ticks.get(int(tick[0]))
        if line is None:
            bad.append(f"scrape at {t}: tick {tick[0]} is not in the trace")
            continue
        for m, v in samples:
            if m["__name__"] == "wattson_device_power_watts":
                want = line["dev"][m["device"]].get("power")
            elif m["__name__"] == "wattson_vgpu_sm_share_ratio":
                want = line.get("eng", {}).get("vgpu_sm_share_ratio", {}).get(m["tenant"])
            elif m["__name__"] == "wattson_run_ticks_total":
                want = float(int(tick[0]))
            else:
                continue
            if want is None or not near(v, want):
                bad.append(f"tick {int(tick[0])}: {m['__name__']} {m} = {v}, trace {want}")
            compared += 1
    if compared < 10:
        bad.append(f"only {compared} values compared")
    tenants = api(base, "label/tenant/values")
    want_t = set(ticks[max(ticks)]["eng"]["vgpu_sm_share_ratio"])
    if not want_t <= set(tenants):
        bad.append(f"tenant labels {tenants} lack some of {sorted(want_t)}")
    for b in bad:
        print(b, file=sys.stderr)
    if not bad:
        print(f"{compared} scraped values match the trace; {len(series)} devices; "
              f"{summary['ticks']} ticks")
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "wait":
        sys.exit(wait(sys.argv[2], int(sys.argv[3])))
    sys.exit(check(sys.argv[2], sys.argv[3]))
