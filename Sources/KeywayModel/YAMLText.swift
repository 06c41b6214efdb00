import Foundation

/// A string written into YAML that keyway produces (`tools import`, `init`): plain when
/// it reads back as the same string, else double-quoted with every invisible character
/// escaped, so no value can end a line, start a comment or change its type.
public enum YAMLText {
    static let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"]

    public static func scalar(_ s: String, flow: Bool = false) -> String {
        isPlain(s, flow: flow) ? s : quoted(s)
    }

    static func isPlain(_ s: String, flow: Bool) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return false }
        guard first.isASCII, CharacterSet.letters.contains(first) || first == "_" || first == "/" else { return false }
        guard last != " ", last != ":", !reserved.contains(s.lowercased()) else { return false }
        if s.contains(": ") || s.contains(" #") || s.contains("  ") { return false }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _./()-" + (flow ? "" : ":,'{}"))
        return s.unicodeScalars.allSatisfy(allowed.contains)
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.isInvisible {
                    out += scalar.value <= 0xFFFF ? String(format: "\\u%04X", scalar.value) : String(format: "\\U%08X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
