#!/usr/bin/python3
"""difftest.py - differential testing of cnnc against ONNX Runtime on random graphs.

    scripts/difftest.sh N [--seed S] [--kind cnn|dag|mix] [--target T] [-j J] [--no-shrink]
                          [--save DIR]

Generates N random valid graphs (tests/difftest/gen.py, seeds S .. S+N-1), makes ONNX
Runtime references for them in batches (one node process per batch,
tests/difftest/ref_batch.js) and runs `cnnc verify` on each, J at a time. A graph that
cnnc gets wrong, or fails to compile, build or run, is a mismatch: it is shrunk (the
smallest single node, ancestor cone or cut-down subgraph that still fails the same way)
and saved as a case folder DIR/<name>/ (model.onnx, test_data_set_0/, info.txt);
tests/difftest/run_cases.sh re-runs the saved cases (with the --target that info.txt
records, if any). Graphs that ONNX Runtime itself
rejects are generator bugs: they are counted apart and never as mismatches.
Prints "N run, M mismatched" and exits 1 when M > 0.
"""
import argparse
import concurrent.futures as cf
import os
import shutil
import subprocess
import sys
import tempfile

import onnx
from onnx import helper, shape_inference

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen  # noqa: E402

RTOL, ATOL = "1e-3", "1e-4"
EXTRA = []  # cnnc options for every verify (--target T)
BATCH = 100


def ort_env():
    env = dict(os.environ)
    if "CNNC_ORT_MODULE" not in env and not os.path.isdir(os.path.join(ROOT, "node_modules")):
        alt = "/tmp/ortnpm/node_modules/onnxruntime-node"
        if os.path.isdir(alt):
            env["CNNC_ORT_MODULE"] = alt
    return env


def references(dirs, work):
    """ORT references for many case folders; returns {dir: None or error}."""
    lst = os.path.join(work, "list.txt")
    with open(lst, "w") as f:
        f.write("".join(d + "\n" for d in dirs))
    p = subprocess.run(["node", os.path.join(HERE, "ref_batch.js"), lst], env=ort_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    res = {d: "no reference (ref_batch.js: exit %d)" % p.returncode for d in dirs}
    for line in p.stdout.splitlines():
        if line.startswith("OK "):
            res[line[3:]] = None
        elif line.startswith("ERR "):
            d, _, msg = line[4:].partition(": ")
            res[d] = msg
    return res


def verify(cnnc, d):
    """Returns None on PASS, else the failure ("category: detail")."""
    try:
        p = subprocess.run([cnnc, "verify", "--rtol", RTOL, "--atol", ATOL, "--timeout", "30"] +
                           EXTRA + [d], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=300, errors="replace")
        out = p.stdout
    except subprocess.TimeoutExpired:
        return "run-error: cnnc verify timed out"
    last = [ln for ln in out.splitlines() if ln.startswith("RESULT")]
    if last and last[-1] == "RESULT PASS":
        return None
    if last:
        return last[-1][len("RESULT FAIL "):]
    return "run-error: cnnc verify ended without a result (exit %d): %s" % (
        p.returncode, out.strip().splitlines()[-1:] or "")


def category(fail):
    return fail.split(":")[0]


def run_all(cnnc, models, work, jobs):
    """models: {name: ModelProto}. Returns {name: (ort_error, cnnc_failure)}."""
    dirs = {}
    for name, m in models.items():
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        onnx.save(m, os.path.join(d, "model.onnx"))
        dirs[name] = d
    refs = references(list(dirs.values()), work)
    out = {}
    with cf.ThreadPoolExecutor(jobs) as ex:
        fut = {n: ex.submit(verify, cnnc, d) for n, d in dirs.items() if refs[d] is None}
        for n, d in dirs.items():
            out[n] = (refs[d], fut[n].result() if n in fut else None)
    return out


# ---------------------------------------------------------------- shrinking

def typed_values(m):
    """name -> ValueInfoProto with type and shape, from ONNX shape inference."""
    try:
        inf = shape_inference.infer_shapes(m)
    except Exception:  # declared output shapes that ONNX disputes: infer without them
        inf = onnx.ModelProto()
        inf.CopyFrom(m)
        for o in inf.graph.output:
            o.type.tensor_type.ClearField("shape")
        try:
            inf = shape_inference.infer_shapes(inf)
        except Exception:
            pass
    vi = {}
    for v in list(inf.graph.value_info) + list(inf.graph.input) + list(inf.graph.output):
        vi[v.name] = v
    return vi


def subgraph(m, nodes, cut, outputs, vi):
    """A model of `nodes` whose values in `cut` become graph inputs, with these outputs.
    Drops nodes, initializers and inputs that nothing needed."""
    g = m.graph
    need = set(outputs)
    keep = []
    for n in reversed(nodes):
        if any(o in need for o in n.output) and not all(o in cut for o in n.output if o):
            keep.append(n)
            need.update(i for i in n.input if i)
    keep.reverse()
    inits = [t for t in g.initializer if t.name in need]
    names = {t.name for t in inits}
    inputs = []
    for nm in sorted(need - names - {o for n in keep for o in n.output}):
        if nm not in vi:
            return None
        inputs.append(vi[nm])
    outs = [vi[o] for o in outputs if o in vi]
    if len(outs) != len(outputs) or not keep:
        return None
    graph = helper.make_graph(keep, g.name, inputs, outs, inits)
    r = helper.make_model(graph, opset_imports=m.opset_import, producer_name=m.producer_name)
    r.ir_version = m.ir_version
    return r


def still_fails(cnnc, cands, want, work, jobs):
    """The candidates (name -> model) that fail with the category `want`."""
    res = run_all(cnnc, cands, work, jobs)
    return [n for n, (ref, fail) in res.items()
            if ref is None and fail is not None and category(fail) == want]


def shrink(cnnc, m, fail, work, jobs):
    """The smallest model found that still fails like m (same category)."""
    want = category(fail)
    vi = typed_values(m)
    nodes = list(m.graph.node)
    cands = {}
    for k, n in enumerate(nodes):  # each node alone, its operands fed as inputs
        cut = {i for i in n.input if i and i not in {t.name for t in m.graph.initializer}}
        s = subgraph(m, nodes[:k + 1], cut, [o for o in n.output if o], vi)
        if s is not None:
            cands["one%d" % k] = s
    bad = still_fails(cnnc, cands, want, os.path.join(work, "s1"), jobs)
    if bad:
        return cands[min(bad, key=lambda n: int(n[3:]))]
    cands = {}
    for k, n in enumerate(nodes):  # the cone of ancestors of each node
        s = subgraph(m, nodes[:k + 1], set(), [o for o in n.output if o], vi)
        if s is not None:
            cands["cone%d" % k] = s
    bad = still_fails(cnnc, cands, want, os.path.join(work, "s2"), jobs)
    best = cands[min(bad, key=lambda n: len(cands[n].graph.node))] if bad else m
    for rnd in range(20):  # cut nodes off the front while it still fails
        g = best.graph
        outs = [o.name for o in g.output]
        cands = {}
        for k, n in enumerate(g.node):
            if any(o in outs for o in n.output):
                continue
            s = subgraph(best, list(g.node), set(o for o in n.output if o), outs, vi)
            if s is not None and len(s.graph.node) < len(g.node):
                cands["cut%d" % k] = s
        if not cands:
            break
        bad = still_fails(cnnc, cands, want, os.path.join(work, "s3_%d" % rnd), jobs)
        if not bad:
            break
        best = cands[min(bad, key=lambda n: len(cands[n].graph.node))]
    return best


def save_case(cnnc, name, m, orig_fail, dest, work):
    d = os.path.join(dest, name)
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    onnx.save(m, os.path.join(d, "model.onnx"))
    refs = references([d], work)
    now = verify(cnnc, d)
    ops = " ".join(n.op_type for n in m.graph.node)
    with open(os.path.join(d, "info.txt"), "w") as f:
        f.write("graph: %s (tests/difftest/gen.py)\nops: %s\nfailure: %s\nshrunk from: %s\n"
                % (name, ops, now or refs[d] or "passes now", orig_fail))
        if EXTRA:
            f.write("target: %s\n" % EXTRA[1])
    return d, now


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kind", choices=["cnn", "dag", "mix"], default="mix")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--save", default=os.path.join(HERE, "cases"))
    ap.add_argument("--cnnc", default=os.path.join(ROOT, "build", "cnnc"))
    ap.add_argument("--target", help="cnnc --target for every graph (default: host)")
    a = ap.parse_args()
    if a.target:
        EXTRA.extend(["--target", a.target])
    run = mism = invalid = 0
    failures = []
    with tempfile.TemporaryDirectory(prefix="cnnc-difftest-") as work:
        cnnc = os.path.join(work, "cnnc")  # a copy: rebuilding during a long run is fine
        shutil.copy2(a.cnnc, cnnc)
        for start in range(a.seed, a.seed + a.n, BATCH):
            models = {}
            for s in range(start, min(start + BATCH, a.seed + a.n)):
                name, m = gen.generate(a.kind, s)
                models[name] = m
            bdir = os.path.join(work, "b%d" % start)
            for name, (ref, fail) in run_all(cnnc, models, bdir, a.j).items():
                if ref is not None:
                    invalid += 1
                    print("INVALID %s: onnxruntime: %s" % (name, ref), flush=True)
                    continue
                run += 1
                if fail is not None:
                    mism += 1
                    print("MISMATCH %s: %s" % (name, fail), flush=True)
                    failures.append((name, models[name], fail))
            shutil.rmtree(bdir)
            print("... %d run, %d mismatched" % (run, mism), file=sys.stderr, flush=True)
        for name, m, fail in failures:
            small = m
            if not a.no_shrink:
                try:
                    small = shrink(cnnc, m, fail, os.path.join(work, name), a.j)
                except Exception as e:  # keep the whole graph rather than nothing
                    print("shrinking %s failed: %s" % (name, e), flush=True)
            d, now = save_case(cnnc, name, small, fail, a.save, work)
            print("saved %s (%d of %d nodes): %s" % (os.path.relpath(d, ROOT),
                  len(small.graph.node), len(m.graph.node), now or "passes now?"), flush=True)
    if invalid:
        print("%d graphs rejected by onnxruntime (generator bugs, not counted)" % invalid)
    print("%d run, %d mismatched" % (run, mism))
    return 1 if mism else 0


if __name__ == "__main__":
    sys.exit(main())
