import KeywayContract
import KeywayModel

extension OrderedJSON {
    /// JSON text; `indent` nil for one line.
    func json(indent: Int? = 0) -> String {
        var out: [UInt8] = []
        writeJSON(into: &out, indent: indent)
        return String(decoding: out, as: UTF8.self)
    }

    // Both renderings write UTF-8 bytes into one buffer: appending to a String piece by
    // piece costs more than the text itself (a schema is most of a tools file).

    private func writeJSON(into out: inout [UInt8], indent: Int?) {
        switch self {
        case .string(let s): Literal.appendJSON(s, to: &out)
        case .integer(let i): out.appendUTF8(String(i))
        case .number(let d): out.appendUTF8(JSONNumber.text(d))
        case .bool(let b): out.appendUTF8(b ? "true" : "false")
        case .null: out.appendUTF8("null")
        case .array(let items):
            if items.isEmpty { out.appendUTF8("[]"); return }
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                Self.separate(&out, first: n == 0, indent: indent)
                item.writeJSON(into: &out, indent: indent.map { $0 + 1 })
            }
            Self.close(&out, indent: indent)
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            if pairs.isEmpty { out.appendUTF8("{}"); return }
            out.append(UInt8(ascii: "{"))
            for (n, (key, value)) in pairs.enumerated() {
                Self.separate(&out, first: n == 0, indent: indent)
                Literal.appendJSON(key, to: &out)
                out.appendUTF8(": ")
                value.writeJSON(into: &out, indent: indent.map { $0 + 1 })
            }
            Self.close(&out, indent: indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Before an element: `,` after the previous one, then a new line and the element's
    /// indentation (or one space, on one line).
    private static func separate(_ out: inout [UInt8], first: Bool, indent: Int?) {
        if !first { out.append(UInt8(ascii: ",")) }
        if let indent {
            out.append(UInt8(ascii: "\n"))
            pad(&out, indent + 1, width: 2)
        } else if !first {
            out.append(UInt8(ascii: " "))
        }
    }

    /// Indentation: `count` levels of `width` spaces.
    private static func pad(_ out: inout [UInt8], _ count: Int, width: Int) {
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: count * width))
    }

    private static func close(_ out: inout [UInt8], indent: Int?) {
        guard let indent else { return }
        out.append(UInt8(ascii: "\n"))
        pad(&out, indent, width: 2)
    }

}

/// `keyway tools --format json`: every tool as model APIs take it, sorted by name.
enum ToolsDocument {
    static func json(_ catalog: Catalog) -> String {
        let tools = catalog.connectors.flatMap { c in c.tools.map { (c.modelName(of: $0), $0) } }.sorted { $0.0 < $1.0 }
        let array = OrderedJSON.array(tools.map { name, tool in
            .object([("name", .string(name)), ("description", .string(tool.description)), ("input_schema", tool.inputContract.orderedJSONSchema)]
                + (tool.output.map { [("output_schema", $0.orderedJSONSchema)] } ?? []))
        })
        return array.json() + "\n"
    }
}

extension Catalog {
    /// `keyway tools --format json`.
    public var toolsJSON: String { ToolsDocument.json(self) }
}
