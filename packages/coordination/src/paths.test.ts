import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ancestorsOf,
  formatSequence,
  joinPath,
  nameOf,
  parentOf,
  sequenceOf,
  validateNodePath,
  validatePath,
} from "./paths.js";
import { parseZkUrl, toZkPath, fromZkPath } from "./zk/url.js";

describe("paths", () => {
  it("accepts normalised absolute paths and explains what is wrong with others", () => {
    expect(validatePath("/")).toBe("/");
    expect(validatePath("/a/b-c_d.e")).toBe("/a/b-c_d.e");
    expect(() => validatePath("a")).toThrow(/must start with "\/"/);
    expect(() => validatePath("/a/")).toThrow(/must not end/);
    expect(() => validatePath("/a//b")).toThrow(/empty segment/);
    expect(() => validatePath("/a/..")).toThrow(/relative segment/);
    expect(() => validatePath("/a\u0000")).toThrow(/control/);
    expect(() => validatePath(42)).toThrow(/must be a string/);
    expect(() => validateNodePath("/")).toThrow(/root/);
    expect(() => validateNodePath("/zookeeper/quota")).toThrow(/reserved/);
  });

  it("splits and joins paths consistently", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z0-9_]{1,6}$/), { minLength: 1, maxLength: 5 }),
        (segments) => {
          const path = `/${segments.join("/")}`;
          expect(joinPath(parentOf(path), nameOf(path))).toBe(path);
          expect(ancestorsOf(path)).toHaveLength(segments.length - 1);
          expect(validatePath(path)).toBe(path);
        },
      ),
    );
  });

  it("formats and parses ZooKeeper sequence suffixes", () => {
    expect(formatSequence(42)).toBe("0000000042");
    expect(sequenceOf("json.info_0000000042")).toBe(42);
    expect(sequenceOf("log_replicas")).toBeUndefined();
  });
});

describe("zk URLs", () => {
  it("parses hosts, default ports, chroot and credentials", () => {
    expect(parseZkUrl("zk://h1:2181,h2:2182,h3/caravel")).toEqual({
      connectString: "h1:2181,h2:2182,h3:2181",
      hosts: [
        { host: "h1", port: 2181 },
        { host: "h2", port: 2182 },
        { host: "h3", port: 2181 },
      ],
      chroot: "/caravel",
      auth: undefined,
    });
    expect(parseZkUrl("zk://user:p%40ss@10.0.0.1:2181/mesos/")).toMatchObject({
      auth: "user:p@ss",
      chroot: "/mesos",
      connectString: "10.0.0.1:2181",
    });
    expect(parseZkUrl("zk://localhost:2181").chroot).toBe("/");
  });

  it("rejects malformed URLs with the expected form", () => {
    expect(() => parseZkUrl("http://h:2181/x")).toThrow(/must start with "zk:\/\/"/);
    expect(() => parseZkUrl("zk:///x")).toThrow(/names no host/);
    expect(() => parseZkUrl("zk://h:99999/x")).toThrow(/out of range/);
    expect(() => parseZkUrl("zk://h:2181/a//b")).toThrow(/not a valid absolute path/);
    expect(() => parseZkUrl("zk://h:abc")).toThrow(/not host or host:port/);
  });

  it("maps paths in and out of the chroot", () => {
    expect(toZkPath("/c", "/")).toBe("/c");
    expect(toZkPath("/c", "/a")).toBe("/c/a");
    expect(fromZkPath("/c", "/c/a")).toBe("/a");
    expect(fromZkPath("/c", "/c")).toBe("/");
    expect(toZkPath("/", "/a")).toBe("/a");
  });
});
