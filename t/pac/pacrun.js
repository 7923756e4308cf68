/*
 * pacrun.js -- evaluate a PAC file the way a browser does, for the tests
 * (t/pac-node.c).  Run by node:
 *
 *	node pacrun.js FILE.pac CASES [ex]
 *
 * CASES holds lines "dns NAME ADDR[;ADDR...]" (what the browser's
 * resolver answers; names not listed do not resolve), "myip ADDR" and
 * "case URL"; each case prints "URL<TAB>RESULT".  The PAC file runs in a
 * fresh context whose globals are the standard helper functions
 * (Netscape's PAC, as Mozilla and Chromium implement them); with "ex",
 * Microsoft's IPv6 extensions (dnsResolveEx, isInNetEx, myIpAddressEx,
 * isResolvableEx) are there too, as in Chromium.  Exit 2 on a PAC file
 * that does not compile or throws.
 */
"use strict";
const fs = require("fs");
const vm = require("vm");

const [pacFile, casesFile, ex] = process.argv.slice(2);
const dns = {};
let myip = "127.0.0.1";
const cases = [];

for (const line of fs.readFileSync(casesFile, "utf8").split("\n")) {
	const w = line.trim().split(/\s+/);
	if (w[0] === "dns")
		dns[w[1].toLowerCase()] = w[2].split(";");
	else if (w[0] === "myip")
		myip = w[1];
	else if (w[0] === "case")
		cases.push(w[1]);
}

function v4(s) {
	const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
	if (!m)
		return null;
	const b = m.slice(1).map(Number);
	if (b.some((x) => x > 255))
		return null;
	return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
}

/* An IPv6 address as 8 numbers (enough for the tests' literals). */
function v6(s) {
	if (s.indexOf(":") < 0)
		return null;
	let [head, tail] = s.split("::");
	const h = head ? head.split(":") : [];
	const t = tail !== undefined ? (tail ? tail.split(":") : []) : [];
	if (tail === undefined && h.length !== 8)
		return null;
	const words = h.concat(new Array(8 - h.length - t.length).fill("0"), t);
	return words.map((x) => parseInt(x, 16));
}

const helpers = {
	/* Netscape's functions, as Mozilla's ascii_pac_utils.js has them. */
	dnsDomainIs: (host, domain) => host.length >= domain.length &&
	    host.substring(host.length - domain.length) === domain,
	dnsDomainLevels: (host) => host.split(".").length - 1,
	convert_addr: (ip) => v4(ip),
	isPlainHostName: (host) => host.search("\\.") === -1,
	isResolvable: (host) => helpers.dnsResolve(host) !== null,
	localHostOrDomainIs: (host, hostdom) => host === hostdom ||
	    hostdom.lastIndexOf(host + ".", 0) === 0,
	shExpMatch: (url, pat) => new RegExp("^" + pat.replace(/\./g, "\\.")
	    .replace(/\*/g, ".*").replace(/\?/g, ".") + "$").test(url),
	dnsResolve: (host) => {
		if (v4(host) !== null)
			return host;
		const a = (dns[host.toLowerCase()] || []).filter((x) =>
		    v4(x) !== null);
		return a.length ? a[0] : null;
	},
	myIpAddress: () => myip,
	isInNet: (host, pattern, mask) => {
		const ip = v4(host) !== null ? host : helpers.dnsResolve(host);
		if (ip === null)
			return false;
		return ((v4(ip) & v4(mask)) >>> 0) ===
		    ((v4(pattern) & v4(mask)) >>> 0);
	},
	weekdayRange: () => true,
	dateRange: () => true,
	timeRange: () => true,
	alert: (m) => process.stderr.write("pac alert: " + m + "\n"),
};

if (ex === "ex") {
	helpers.dnsResolveEx = (host) => {
		if (v4(host) !== null || v6(host) !== null)
			return host;
		return (dns[host.toLowerCase()] || []).join(";");
	};
	helpers.isResolvableEx = (host) => helpers.dnsResolveEx(host) !== "";
	helpers.myIpAddressEx = () => myip;
	helpers.isInNetEx = (ip, prefix) => {
		const [net, bits] = prefix.split("/");
		const n = Number(bits);
		if (v4(ip) !== null && v4(net) !== null) {
			const m = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
			return ((v4(ip) & m) >>> 0) === ((v4(net) & m) >>> 0);
		}
		const a = v6(ip), b = v6(net);
		if (a === null || b === null)
			return false;
		for (let i = 0, left = n; i < 8 && left > 0; i++, left -= 16) {
			const m = left >= 16 ? 0xffff :
			    (0xffff << (16 - left)) & 0xffff;
			if ((a[i] & m) !== (b[i] & m))
				return false;
		}
		return true;
	};
}

const ctx = vm.createContext(Object.assign({}, helpers));
try {
	vm.runInContext(fs.readFileSync(pacFile, "utf8"), ctx,
	    { filename: pacFile, timeout: 5000 });
	for (const url of cases) {
		/* The host as browsers pass it: lower case, no brackets. */
		const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
		const r = vm.runInContext("FindProxyForURL(" +
		    JSON.stringify(url) + ", " + JSON.stringify(host) + ")", ctx,
		    { timeout: 5000 });
		process.stdout.write(url + "\t" + r + "\n");
	}
} catch (e) {
	process.stderr.write("pacrun: " + e + "\n");
	process.exit(2);
}
