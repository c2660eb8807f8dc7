#!/usr/bin/python3
"""Checks leakgraph check's outputs with real consumers (Debian's python3-jsonschema and
python3-junitparser, Python's XML parser). Run by tests/e2e/cases/check.sh with
/usr/bin/python3, where the Debian packages are. Prints one line per finding; exit 1 on
the first failure, with the reason.

  validate.py sarif FILE SCHEMA           SARIF 2.1.0 schema validation; prints the results
  validate.py junit FILE                  parses; prints "tests=N failures=F skipped=S errors=E"
                                          and one "case NAME: failure|skipped|error|ok ..." line
  validate.py vgxml OURS VALGRIND         every element path of our errors occurs in Valgrind's
                                          own XML; prints the error kinds and leaked bytes
  validate.py verdicts JSON               one "KIND VERDICT BYTES FUNCTION" line per leak
"""
import json
import sys


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def sarif(path, schema_path):
    import jsonschema
    schema = json.load(open(schema_path))
    doc = json.load(open(path))
    v = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    if errs:
        fail("%s: %d schema errors, first: %s at %s" % (path, len(errs), errs[0].message, list(errs[0].path)))
    for r in doc["runs"][0]["results"]:
        loc = r["locations"][0]["physicalLocation"] if r.get("locations") else {}
        uri = loc.get("artifactLocation", {}).get("uri", "-")
        line = loc.get("region", {}).get("startLine", 0)
        flow = r.get("codeFlows", [{}])[0].get("threadFlows", [{}])[0].get("locations", [])
        fn = flow[0]["location"]["logicalLocations"][0]["name"] if flow else "-"
        print("result %s %s %s:%d %s %s" % (r["ruleId"], r["level"], uri, line, fn,
                                           r.get("baselineState", "-")))


def junit(path):
    from junitparser import JUnitXml, Failure, Skipped, Error
    xml = JUnitXml.fromfile(path)
    suites = list(xml) if hasattr(xml, "__iter__") else [xml]
    tests = fails = skipped = errors = 0
    lines = []
    for suite in suites:
        for case in suite:
            tests += 1
            res = case.result
            kinds = [type(r).__name__.lower() for r in res]
            fails += kinds.count("failure")
            skipped += kinds.count("skipped")
            errors += kinds.count("error")
            msgs = " | ".join((r.message or "") + " @ " + (r.text or "").strip().replace("\n", " ; ")
                              for r in res)
            lines.append("case %s: %s %s" % (case.name, ",".join(kinds) or "ok", msgs))
    print("tests=%d failures=%d skipped=%d errors=%d" % (tests, fails, skipped, errors))
    for l in lines:
        print(l)


def vgxml(ours, theirs):
    import xml.etree.ElementTree as ET

    def paths(f):
        out = set()

        def walk(e, p):
            out.add(p)
            for c in e:
                walk(c, p + "/" + c.tag)
        root = ET.parse(f).getroot()
        walk(root, root.tag)
        return out, root
    a, _ = paths(theirs)
    b, root = paths(ours)
    # auxwhat is part of protocol 4's errors (Valgrind writes it for other error kinds)
    extra = sorted(p for p in b - a if p != "valgrindoutput/error/auxwhat")
    if extra:
        fail("elements Valgrind's XML does not have: %s" % extra)
    if root.findtext("protocolversion") != "4":
        fail("protocolversion is not 4")
    for e in root.findall("error"):
        fns = [f.findtext("fn") for f in e.find("stack").findall("frame")]
        print("error %s %s %s" % (e.findtext("kind"), e.find("xwhat").findtext("leakedbytes"), fns[0] if fns else "-"))


def verdicts(path):
    d = json.load(open(path))
    keys = {}
    for p in d["processes"]:
        for l in p["leaks"]:
            keys[(p["pid"], l["loss_record"])] = l["stack"][0]["function"] if l["stack"] else "-"
    for v in d["verdicts"]:
        fn = keys.get((v["pid"], v.get("loss_record")), "-")
        print("%s %s %d %s %s" % (v["kind"], v["verdict"], v["bytes"], fn, v["suppression"] or "-"))
    for m in d["missing_reports"]:
        print("missing %d %s: %s" % (m["pid"], m["command"], m["reason"]))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "sarif":
        sarif(sys.argv[2], sys.argv[3])
    elif cmd == "junit":
        junit(sys.argv[2])
    elif cmd == "vgxml":
        vgxml(sys.argv[2], sys.argv[3])
    elif cmd == "verdicts":
        verdicts(sys.argv[2])
    else:
        fail("unknown command " + cmd)
