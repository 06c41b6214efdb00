import Foundation
import KeywayChecksum
import Testing

/// keyway's two hashes against what no one here wrote: FIPS 180-4's examples and Python's
/// hashlib (OpenSSL) for SHA-256, the reference xxHash (Python's `xxhash`) for XXH64, on
/// inputs of every length around their block boundaries and on random ones.
@Suite("Checksums: SHA-256 and XXH64 against their references")
struct ChecksumTests {
    @Test("SHA-256: the examples of FIPS 180-4")
    func fipsExamples() {
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Data(repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Inputs of lengths 0…300 and a few large ones, pseudo-random bytes, fed whole and in
    /// uneven pieces; the references' hashes computed in one Python run.
    static let inputs: [[UInt8]] = {
        var state: UInt64 = 0x2026_1206
        func byte() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        return (Array(0...300) + [1_000, 4_096, 65_537]).map { n in (0..<n).map { _ in byte() } }
    }()

    static func reference(_ algorithm: String) throws -> [String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checksums-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputs = folder.appendingPathComponent("inputs.txt"), script = folder.appendingPathComponent("hash.py")
        try Data(Self.inputs.map { $0.map { String(format: "%02x", $0) }.joined() }.joined(separator: "\n").utf8).write(to: inputs)
        try Data("""
            import hashlib, sys
            algorithm, path = sys.argv[1], sys.argv[2]
            if algorithm == "xxh64":
                import xxhash
            for line in open(path).read().split("\\n"):
                data = bytes.fromhex(line)
                print(hashlib.sha256(data).hexdigest() if algorithm == "sha256" else xxhash.xxh64(data).hexdigest())

            """.utf8).write(to: script)
        let run = Python.run([script.path, algorithm, inputs.path])
        #expect(run.status == 0, "\(run.output)")
        return run.output.split(separator: "\n").map(String.init)
    }

    @Test("SHA-256 equals hashlib's on 304 inputs, whole and in pieces")
    func sha256AgainstHashlib() throws {
        let expected = try Self.reference("sha256")
        #expect(expected.count == Self.inputs.count)
        for (input, hash) in zip(Self.inputs, expected) {
            #expect(SHA256.hex(input) == hash, "length \(input.count)")
            var pieces = SHA256()
            var rest = input[...]
            var size = 1
            while !rest.isEmpty {
                pieces.update(Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
                size = size * 3 % 97 + 1
            }
            #expect(SHA256.hex(digest: pieces.finalize()) == hash, "length \(input.count), in pieces")
        }
    }

    @Test("XXH64 equals the reference xxhash's on 304 inputs")
    func xxh64AgainstReference() throws {
        guard Python.require(["xxhash"]) else { return }
        let expected = try Self.reference("xxh64")
        #expect(expected.count == Self.inputs.count)
        for (input, hash) in zip(Self.inputs, expected) {
            #expect(input.withUnsafeBytes { XXH64.hex($0) } == hash, "length \(input.count)")
        }
        #expect(Data("abc".utf8).withUnsafeBytes { XXH64.hex($0) } == "44bc2cf5ad770999")
    }
}
