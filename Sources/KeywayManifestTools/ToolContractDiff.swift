import KeywayContract
import KeywayModel

/// What changed in the tool contract an agent or an app sees — `keyway tools`' JSON (each
/// tool's name, input JSON Schema and output JSON Schema) and, when both sides are
/// manifests, the scopes — each change classed breaking or not, as `buf breaking` and
/// oasdiff do for their formats. Breaking: a call that worked before can fail now (a tool
/// removed or renamed, an input removed, made required or narrowed — a type changed, an
/// enum value removed, a bound tightened, a pattern, format or step added or changed), a
/// reader of the answer can fail now (an output field removed, made optional or nullable,
/// its type changed, an enum value added; the output no longer declared), or users must
/// consent again (a scope added). Pure: the command line reads both sides.
public enum ToolContractDiff {
    public struct Change: Sendable, Equatable, Comparable {
        public var tool: String
        /// The input's path (`to`, `address.city`, `tags[]`), empty for the tool itself.
        public var input: String
        public var breaking: Bool
        public var message: String
        /// The scope, for a scope added or no longer needed.
        public var scope: String?
        /// The output field's path (`data[].email`), for a change to the output; empty
        /// for the output as a whole.
        public var output: String?

        public static func < (a: Change, b: Change) -> Bool {
            (a.tool, a.input, a.message) < (b.tool, b.input, b.message)
        }

        /// `BREAKING gmail_send_email: input 'to' was made required`.
        public var line: String { (breaking ? "breaking " : "ok       ") + tool + ": " + message }
    }

    /// The changes from `old` to `new` (each a `keyway tools` JSON array), sorted by tool;
    /// scopes are compared when both sides give them (tool → scopes).
    public static func changes(from old: JSONValue, to new: JSONValue, oldScopes: [String: [String]]? = nil, newScopes: [String: [String]]? = nil) -> [Change] {
        let before = tools(old), after = tools(new)
        var out: [Change] = []
        for name in before.keys.sorted() where after[name] == nil {
            out.append(Change(tool: name, input: "", breaking: true, message: "tool removed (or renamed): agents and apps that call it fail"))
        }
        for name in after.keys.sorted() where before[name] == nil {
            out.append(Change(tool: name, input: "", breaking: false, message: "tool added"))
        }
        let outputsBefore = tools(old, key: "output_schema"), outputsAfter = tools(new, key: "output_schema")
        for name in after.keys.sorted() {
            guard let was = before[name], let now = after[name] else { continue }
            compareObject(was, now, path: "", tool: name, into: &out)
            switch (outputsBefore[name], outputsAfter[name]) {
            case (nil, _?): out.append(Change(tool: name, input: "", breaking: false, message: "output declared", output: ""))
            case (_?, nil): out.append(Change(tool: name, input: "", breaking: true, message: "output no longer declared: apps that decode it fail", output: ""))
            case (let a?, let b?): compareOutputObject(a, b, path: "", tool: name, into: &out)
            case (nil, nil): break
            }
            if let oldScopes, let newScopes {
                let had = Set(oldScopes[name] ?? []), has = Set(newScopes[name] ?? [])
                for scope in has.subtracting(had).sorted() {
                    out.append(Change(tool: name, input: "", breaking: true, message: "scope '\(scope)' added: users who connected before must consent again", scope: scope))
                }
                for scope in had.subtracting(has).sorted() {
                    out.append(Change(tool: name, input: "", breaking: false, message: "scope '\(scope)' no longer needed", scope: scope))
                }
            }
        }
        return out.sorted()
    }

    /// name → input schema (or the schema under `key`, for tools that have one).
    static func tools(_ document: JSONValue, key: String = "input_schema") -> [String: JSONValue] {
        guard case .array(let items) = document else { return [:] }
        var out: [String: JSONValue] = [:]
        for item in items {
            guard case .string(let name)? = item["name"] else { continue }
            if key == "input_schema" { out[name] = item[key] ?? .object([:]) } else if let schema = item[key] { out[name] = schema }
        }
        return out
    }

    // MARK: - The output: what readers of the answer rely on (the reverse of an input)

    static func compareOutputObject(_ was: JSONValue, _ now: JSONValue, path: String, tool: String, into out: inout [Change]) {
        let oldProperties = properties(was), newProperties = properties(now)
        let oldRequired = required(was), newRequired = required(now)
        func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        func add(_ key: String, _ breaking: Bool, _ message: String) {
            out.append(Change(tool: tool, input: "", breaking: breaking, message: "output field '\(name(key))' " + message, output: name(key)))
        }
        for key in oldProperties.keys.sorted() where newProperties[key] == nil { add(key, true, "removed: apps that read it fail") }
        for key in newProperties.keys.sorted() where oldProperties[key] == nil { add(key, false, "added") }
        for key in newProperties.keys.sorted() {
            guard let a = oldProperties[key], let b = newProperties[key] else { continue }
            if oldRequired.contains(key) && !newRequired.contains(key) { add(key, true, "may now be absent") }
            else if !oldRequired.contains(key) && newRequired.contains(key) { add(key, false, "is now always present") }
            compareOutputSchema(a, b, path: name(key), tool: tool, into: &out)
        }
    }

    static func compareOutputSchema(_ a: JSONValue, _ b: JSONValue, path: String, tool: String, into out: inout [Change]) {
        func add(_ breaking: Bool, _ message: String) {
            out.append(Change(tool: tool, input: "", breaking: breaking, message: "output field '\(path)' " + message, output: path))
        }
        let (oldType, oldNull) = typeName(a), (newType, newNull) = typeName(b)
        if oldType != newType {
            add(true, "type changed from \(text(oldType)) to \(text(newType))")
            return
        }
        if !oldNull && newNull { add(true, "may now be null") } else if oldNull && !newNull { add(false, "is no longer null") }
        if case .array(let was)? = a["enum"] {
            if case .array(let now)? = b["enum"] {
                for value in now where !was.contains(value) { add(true, "enum value \(text(value)) added: apps that handle each value miss it") }
                for value in was where !now.contains(value) { add(false, "enum value \(text(value)) removed") }
            } else {
                add(true, "enum removed (any value may come)")
            }
        } else if case .array? = b["enum"] {
            add(false, "enum added")
        }
        if case .string("object")? = newType { compareOutputObject(a, b, path: path, tool: tool, into: &out) }
        if let items = a["items"], let newItems = b["items"] { compareOutputSchema(items, newItems, path: path + "[]", tool: tool, into: &out) }
        if case .object = a["additionalProperties"], case .object = b["additionalProperties"], let x = a["additionalProperties"], let y = b["additionalProperties"] {
            compareOutputSchema(x, y, path: path + "{}", tool: tool, into: &out)
        }
    }

    /// A schema's type without its `null`, and whether `null` is allowed (`["string", "null"]`).
    static func typeName(_ schema: JSONValue) -> (JSONValue?, Bool) {
        guard case .array(let names)? = schema["type"] else { return (schema["type"], false) }
        let rest = names.filter { $0 != .string("null") }
        return (rest.count == 1 ? rest[0] : .array(rest), rest.count != names.count)
    }

    static func compareObject(_ was: JSONValue, _ now: JSONValue, path: String, tool: String, into out: inout [Change]) {
        let oldProperties = properties(was), newProperties = properties(now)
        let oldRequired = required(was), newRequired = required(now)
        func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        for key in oldProperties.keys.sorted() where newProperties[key] == nil {
            out.append(Change(tool: tool, input: name(key), breaking: true, message: "input '\(name(key))' removed: a call that sends it is refused"))
        }
        for key in newProperties.keys.sorted() where oldProperties[key] == nil {
            let isRequired = newRequired.contains(key)
            out.append(Change(tool: tool, input: name(key), breaking: isRequired,
                              message: isRequired ? "required input '\(name(key))' added: a call without it is refused" : "optional input '\(name(key))' added"))
        }
        for key in newProperties.keys.sorted() {
            guard let a = oldProperties[key], let b = newProperties[key] else { continue }
            if !oldRequired.contains(key) && newRequired.contains(key) {
                out.append(Change(tool: tool, input: name(key), breaking: true, message: "input '\(name(key))' was made required"))
            } else if oldRequired.contains(key) && !newRequired.contains(key) {
                out.append(Change(tool: tool, input: name(key), breaking: false, message: "input '\(name(key))' was made optional"))
            }
            compareSchema(a, b, path: name(key), tool: tool, into: &out)
        }
    }

    static func compareSchema(_ a: JSONValue, _ b: JSONValue, path: String, tool: String, into out: inout [Change]) {
        func add(_ breaking: Bool, _ message: String) { out.append(Change(tool: tool, input: path, breaking: breaking, message: "input '\(path)': " + message)) }
        let oldType = a["type"], newType = b["type"]
        if oldType != newType {
            add(true, "type changed from \(text(oldType)) to \(text(newType))")
            return
        }
        for keyword in ["format"] where a[keyword] != b[keyword] {
            if b[keyword] == nil { add(false, "\(keyword) \(text(a[keyword])) removed") }
            else { add(true, "\(keyword) \(a[keyword] == nil ? "added" : "changed from \(text(a[keyword])) to"): \(text(b[keyword]))") }
        }
        if case .array(let was)? = a["enum"] {
            if case .array(let now)? = b["enum"] {
                for value in was where !now.contains(value) { add(true, "enum value \(text(value)) removed") }
                for value in now where !was.contains(value) { add(false, "enum value \(text(value)) added") }
            } else {
                add(false, "enum removed (any value accepted)")
            }
        } else if case .array(let now)? = b["enum"] {
            add(true, "enum added (\(now.map(text).joined(separator: ", ")) only)")
        }
        for (keyword, direction) in bounds {
            let was = a[keyword], now = b[keyword]
            guard was != now else { continue }
            switch (direction, number(was), number(now)) {
            case (_, nil, _?): add(true, "\(keyword) \(text(now)) added")
            case (_, _?, nil): add(false, "\(keyword) \(text(was)) removed")
            case (.lower, let x?, let y?): add(y > x, "\(keyword) \(y > x ? "raised" : "lowered") from \(text(was)) to \(text(now))")
            case (.upper, let x?, let y?): add(y < x, "\(keyword) \(y < x ? "lowered" : "raised") from \(text(was)) to \(text(now))")
            case (.exact, _, _):
                if now == nil { add(false, "\(keyword) \(text(was)) removed") }
                else { add(true, "\(keyword) \(was == nil ? "added" : "changed from \(text(was)) to"): \(text(now))") }
            default: break
            }
        }
        if case .string("object")? = newType { compareObject(a, b, path: path, tool: tool, into: &out) }
        if let items = a["items"], let newItems = b["items"] { compareSchema(items, newItems, path: path + "[]", tool: tool, into: &out) }
        if case .object = a["additionalProperties"], case .object = b["additionalProperties"], let x = a["additionalProperties"], let y = b["additionalProperties"] {
            compareSchema(x, y, path: path + "{}", tool: tool, into: &out)
        }
    }

    enum Direction { case lower, upper, exact }

    /// Each constraint's JSON Schema keyword (from `Constraint`'s one table) and which way
    /// narrows it: a lower bound raised, an upper bound lowered, any other one changed.
    static let bounds: [(String, Direction)] = {
        let lower = Set(Constraint.orderedPairs.map(\.lower)), upper = Set(Constraint.orderedPairs.map(\.upper))
        var out: [(String, Direction)] = []
        for key in Constraint.Key.allCases {
            let direction: Direction = lower.contains(key) ? .lower : upper.contains(key) ? .upper : .exact
            let samples: [Constraint] = switch key {
            case .minimum: [.minimum(0)]
            case .maximum: [.maximum(0)]
            case .minLength: [.minLength(0)]
            case .maxLength: [.maxLength(0)]
            case .pattern: [.pattern("")]
            case .multipleOf: [.multipleOf(1)]
            }
            // Both spellings of a count: characters of a string, items of an array.
            for constraint in samples {
                for type in [ValueType.string(format: nil), .array(items: ValueSchema(.string(format: nil))), .number] {
                    let keyword = constraint.jsonSchema(for: type).keyword
                    if !out.contains(where: { $0.0 == keyword }) { out.append((keyword, direction)) }
                }
            }
        }
        return out
    }()

    static func properties(_ schema: JSONValue) -> [String: JSONValue] {
        if case .object(let fields)? = schema["properties"] { return fields }
        return [:]
    }

    static func required(_ schema: JSONValue) -> Set<String> {
        guard case .array(let items)? = schema["required"] else { return [] }
        return Set(items.compactMap { if case .string(let s) = $0 { s } else { nil } })
    }

    static func number(_ value: JSONValue?) -> Double? {
        if case .number(let n)? = value { return n }
        return nil
    }

    static func text(_ value: JSONValue?) -> String {
        switch value {
        case nil: "none"
        case .string(let s)?: "'\(s)'"
        case .number(let n)?: JSONNumber.text(n)
        case let other?: String(decoding: other.jsonData, as: UTF8.self)
        }
    }
}
