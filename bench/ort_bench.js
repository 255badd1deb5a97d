// ort_bench.js - times one model in ONNX Runtime (onnxruntime-node), the baseline.
//
//   node ort_bench.js MODEL.onnx INPUT.bin WARMUP RUNS
//
// One intra-op and one inter-op thread, all graph optimisations, sequential
// execution. The first input is read from INPUT.bin (raw, the input's element
// type); other inputs are zero. Prints per timed run "t <ms>" (wall) and "c <ms>" (process
// CPU time: ORT computes on one thread while the JS thread sleeps), then "rss <KiB>".
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
	const tries = [process.env.CNNC_ORT_MODULE,
		path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'), 'onnxruntime-node'];
	for (const t of tries) {
		if (!t) continue;
		try { return require(t); } catch (e) { /* next */ }
	}
	throw new Error('onnxruntime-node not found (run scripts/setup.sh)');
}

const TYPES = {
	float: Float32Array, double: Float64Array, int64: BigInt64Array, int32: Int32Array,
	int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
};

async function main() {
	const [model, input, warmupS, runsS] = process.argv.slice(2);
	const ort = loadOrt();
	const sess = await ort.InferenceSession.create(model, {
		intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
		graphOptimizationLevel: 'all',
	});
	const feeds = {};
	const meta = sess.inputMetadata || [];
	sess.inputNames.forEach((name, i) => {
		const m = meta[i] || {};
		const type = m.type || 'float';
		const dims = (m.shape || []).map(d => (typeof d === 'number' ? d : 1));
		const n = dims.reduce((a, b) => a * b, 1);
		const Ctor = TYPES[type] || Float32Array;
		let data = new Ctor(n);
		if (i === 0) {
			const buf = fs.readFileSync(input);
			data = new Ctor(buf.buffer.slice(buf.byteOffset, buf.byteOffset + n * Ctor.BYTES_PER_ELEMENT));
		}
		feeds[name] = new ort.Tensor(type, data, dims);
	});
	const warmup = parseInt(warmupS, 10), runs = parseInt(runsS, 10);
	for (let i = 0; i < warmup; i++) await sess.run(feeds);
	for (let i = 0; i < runs; i++) {
		const c0 = process.cpuUsage();
		const t0 = process.hrtime.bigint();
		await sess.run(feeds);
		const t1 = process.hrtime.bigint();
		const c = process.cpuUsage(c0);
		console.log('t ' + (Number(t1 - t0) / 1e6).toFixed(4));
		console.log('c ' + ((c.user + c.system) / 1e3).toFixed(4));
	}
	console.log('rss ' + process.resourceUsage().maxRSS);
}
main().catch(e => { console.error(e.message); process.exit(1); });
