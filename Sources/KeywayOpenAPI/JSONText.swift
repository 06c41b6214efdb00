/// JSON read as YAML: a JSON text is a YAML 1.2 flow document but for one escape —
/// a character outside the Basic Multilingual Plane written as a UTF-16 surrogate pair
/// (`\ud83d\ude00`), which libyaml refuses. Each pair becomes YAML's 8-digit escape
/// (`\U0001F600`), the same character; a line holding one is then two columns shorter
/// after it, in diagnostics. A lone surrogate is left for libyaml to report, at its place.
enum JSONText {
    static func yamlEscapes(_ bytes: [UInt8]) -> [UInt8] {
        let backslash = UInt8(ascii: "\\"), quote = UInt8(ascii: "\""), u = UInt8(ascii: "u")
        func hex(_ i: Int) -> UInt32? {
            guard i + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for b in bytes[i..<i + 4] {
                guard let digit = hexDigit(b) else { return nil }
                value = value << 4 | digit
            }
            return value
        }
        var out: [UInt8] = []
        var copied = 0
        var inString = false
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if !inString {
                if b == quote { inString = true }
                i += 1
                continue
            }
            if b == quote { inString = false; i += 1; continue }
            guard b == backslash, i + 1 < bytes.count else { i += 1; continue }
            if bytes[i + 1] == u, let high = hex(i + 2), (0xD800...0xDBFF).contains(high),
               i + 7 < bytes.count, bytes[i + 6] == backslash, bytes[i + 7] == u,
               let low = hex(i + 8), (0xDC00...0xDFFF).contains(low) {
                if out.isEmpty { out.reserveCapacity(bytes.count) }
                out += bytes[copied..<i]
                let scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                out += Array("\\U".utf8) + Array(String(scalar, radix: 16, uppercase: true).leftPadded(to: 8).utf8)
                i += 12
                copied = i
                continue
            }
            i += 2  // any other escape, as it is
        }
        if copied == 0 { return bytes }
        return out + bytes[copied...]
    }

    private static func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(b - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}

private extension String {
    func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
