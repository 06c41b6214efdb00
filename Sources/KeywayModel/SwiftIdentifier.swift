/// How manifest names become Swift identifiers. The validator uses it to refuse names
/// that would collide; the emitters use it to name what they generate.
public enum SwiftIdentifier {
    /// `google-calendar` → `googleCalendar`, `send_email` → `sendEmail`, `1password` → `_1password`.
    public static func lowerCamel(_ name: String) -> String {
        if let ascii = asciiCamel(name, upperFirst: false) { return ascii.isEmpty ? "_" : ascii }
        let parts = words(name)
        guard let first = parts.first else { return "_" }
        var result = lowercasedFirst(first) + parts.dropFirst().map(uppercasedFirst).joined()
        if result.first!.isNumber { result = "_" + result }
        return result
    }

    /// `send_email` → `SendEmail`, `google-calendar` → `GoogleCalendar`.
    public static func upperCamel(_ name: String) -> String {
        var result = asciiCamel(name, upperFirst: true) ?? words(name).map(uppercasedFirst).joined()
        if result.isEmpty { return "_" }
        if result.first!.isNumber { result = "_" + result }
        if reservedTypeNames.contains(result) { result += "_" }
        return result
    }

    /// The words of an ASCII name joined in camel case in one pass (the first word's first
    /// letter upper- or lower-cased, the others' upper-cased), with `_` before a leading
    /// digit; nil for a name that is not ASCII (the general path handles it).
    static func asciiCamel(_ name: String, upperFirst: Bool) -> String? {
        guard name.utf8AllSatisfy({ $0 < 0x80 }) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count + 1)
        var inWord = false, firstWord = true
        for b in name.utf8 {
            let isDigit = b >= 0x30 && b <= 0x39, isUpper = b >= 0x41 && b <= 0x5A, isLower = b >= 0x61 && b <= 0x7A
            guard isDigit || isUpper || isLower else {
                if inWord { firstWord = false }
                inWord = false
                continue
            }
            if !inWord {
                if firstWord && !upperFirst { out.append(isUpper ? b + 0x20 : b) } else { out.append(isLower ? b - 0x20 : b) }
                inWord = true
            } else {
                out.append(b)
            }
        }
        if let first = out.first, first >= 0x30 && first <= 0x39 { out.insert(UInt8(ascii: "_"), at: 0) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The identifier as it may be written in source: keywords are backticked.
    public static func escaped(_ identifier: String) -> String {
        keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    /// The words of a name that is not ASCII (`asciiCamel` takes the others): it splits on
    /// every character that is not an ASCII letter or digit, so each word is ASCII.
    static func words(_ name: String) -> [String] {
        name.split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.map(String.init)
    }

    /// An ASCII word (what `words` makes) with its first letter upper-cased.
    static func uppercasedFirst(_ word: String) -> String {
        guard let first = word.utf8.first, first >= 0x61 && first <= 0x7A else { return word }
        return String(decoding: CollectionOfOne(first - 0x20), as: UTF8.self) + word.dropFirst()
    }

    /// An ASCII word with its first letter lower-cased.
    static func lowercasedFirst(_ word: String) -> String {
        guard let first = word.utf8.first, first >= 0x41 && first <= 0x5A else { return word }
        return String(decoding: CollectionOfOne(first + 0x20), as: UTF8.self) + word.dropFirst()
    }

    /// Type names that cannot be declared, or that would shadow what generated code uses.
    static let reservedTypeNames: Set<String> = [
        "Self", "Type", "Protocol", "Any", "Sendable", "String", "Int", "Double", "Bool", "Array",
        "Dictionary", "Optional", "Codable", "Error", "Never", "Void", "Equatable", "Hashable", "CaseIterable", "CodingKey",
        // Module names: a type named like a module shadows it (`enum Swift` breaks every `Swift.String`).
        "Swift",
        // Foundation's and the runtime's names, which generated code uses.
        "Data", "Date", "URL", "UUID", "Decimal", "Foundation", "KeywayRuntime", "KeywayGenerated", "JSONValue", "AgentTool",
        "StandardRequestTool", "ToolInput", "ToolRequest", "ToolFailure", "ToolResult", "ToolRegistry", "InputCheck", "InputLocation",
        "HTTPMethod", "NangoClient", "NangoWebhook",
        // The generated catalog's and registry's own types.
        "Integration", "IntegrationInfo", "AuthMode", "GrantedScope", "ConnectorInfo", "ToolSummary", "AllTools", "IntegrationCatalog",
    ]

    /// Swift's reserved words (declarations, statements, expressions, types, patterns).
    public static let keywords: Set<String> = [
        "associatedtype", "borrowing", "class", "consuming", "deinit", "enum", "extension", "fileprivate",
        "func", "import", "init", "inout", "internal", "let", "nonisolated", "open", "operator", "private",
        "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias",
        "var", "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough", "for",
        "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while", "Any", "as", "await",
        "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "_",
    ]
}
