import Foundation
import KeywayContract
import KeywayLoad
import KeywayModel
import OpenAPIKit

/// `keyway tools import`: a tool entry drafted from one operation of the document, as
/// YAML to paste under a connector's `tools:`. What keyway cannot express is left out
/// with a comment saying so. Every string from the document is written YAML-safe.
public struct OpenAPIImporter {
    public var api: ProviderAPI
    public var basePath: String

    public init(api: ProviderAPI, basePath: String = "") {
        self.api = api
        self.basePath = OpenAPILinter.normalized(basePath)
    }

    /// The entry, or why there is none (an unknown id, with a did-you-mean).
    /// What the document's operations named `operationId` make doubtful: OpenAPI wants
    /// operationIds unique, and `entry` drafts the first (by path, then method) of several.
    public func warnings(operationId: String) -> [Diagnostic] {
        let named = api.operations.filter { $0.operationId == operationId }
        guard named.count > 1 else { return [] }
        let titles = named.map { "\($0.method) \($0.path.forDiagnostic)" }
        return [.warning(SourceLocation(file: api.file, line: 1, column: 1),
                         "operationId '\(operationId.forDiagnostic)' names \(named.count) operations (\(titles.joined(separator: ", "))), where OpenAPI wants one; the first, \(titles[0]), is drafted")]
    }

    public func entry(operationId: String) -> Result<String, Diagnostic> {
        let at = SourceLocation(file: api.file, line: 1, column: 1)
        guard let operation = api.operations.first(where: { $0.operationId == operationId }) else {
            let ids = api.operations.compactMap(\.operationId)
            let hint = EditDistance.closest(to: operationId, in: ids).map { "did you mean '\($0.forDiagnostic)'?" }
                ?? (ids.isEmpty ? "the document names no operation" : "the document has \(ids.prefix(5).map { "'\($0.forDiagnostic)'" }.joined(separator: ", "))\(ids.count > 5 ? ", …" : "")")
            return .failure(.error(at, "no operation has the operationId '\(operationId.forDiagnostic)'; \(hint)"))
        }
        let title = "\(operation.method) \(operation.path.forDiagnostic)"
        guard let method = HTTPMethod(rawValue: operation.method) else {
            return .failure(.error(at, "\(title): keyway tools send GET, POST, PUT, PATCH or DELETE, not \(operation.method.forDiagnostic)"))
        }
        if let problem = operation.problem {
            return .failure(.error(at, "\(title) cannot be resolved (\(problem))"))
        }
        let linter = OpenAPILinter(api: api, basePath: basePath)
        guard var endpoint = linter.relative(operation.path) else {
            return .failure(.error(at, "\(title) does not start with the base path \(basePath.forDiagnostic); check --base-path"))
        }
        var draft = Draft()
        // Path parameters first, in the endpoint's order: each placeholder becomes an input
        // name keyway accepts (a path input has no 'wire').
        for placeholder in Tool.placeholders(in: endpoint) {
            let name = draft.claim(Self.inputName(placeholder))
            endpoint = endpoint.replacingOccurrences(of: "{\(placeholder)}", with: "{\(name)}")
            let parameter = operation.parameters.first { $0.location == .path && $0.name == placeholder }
            let schema = parameter.flatMap { if case .a(let c) = $0.schemaOrContent { SpecSchema(c.schema) } else { nil } } ?? SpecSchema(shape: .string(format: nil))
            draft.input(name: name, wire: nil, location: .path, schema: schema, required: true, description: parameter?.description, style: nil)
        }
        if let problem = Self.endpointProblem(endpoint) {
            return .failure(.error(at, "\(title): \(problem)"))
        }
        for parameter in operation.parameters where parameter.location != .path {
            let shown = parameter.name.yamlComment
            guard parameter.location == .query || parameter.location == .header else {
                draft.comment("\(shown): a \(parameter.location.rawValue) parameter; keyway sends none")
                continue
            }
            if parameter.location == .header && InputLinter.transportHeaders.contains(parameter.name.lowercased()) {
                draft.comment("\(shown): set by Nango and keyway on every request")
                continue
            }
            guard case .a(let context) = parameter.schemaOrContent else {
                draft.comment("\(shown): described by 'content' (a serialized value); keyway cannot express it")
                continue
            }
            let schema = SpecSchema(context.schema)
            var style: QueryArrayStyle?
            var wire: String?
            if case .array = schema.shape {
                switch context.style {
                case .form: style = context.explode ? nil : .comma
                case .deepObject where context.explode:
                    // Stripe's `expand`: read as expand[]=a&expand[]=b, a repeated array.
                    wire = parameter.name + "[]"
                default:
                    draft.comment("\(shown): a \(context.style.rawValue) array; keyway sends arrays repeated or comma-separated only")
                    continue
                }
            } else if context.style == .deepObject {
                draft.comment("\(shown): a deepObject; declare one input per key with wire: '\(parameter.name.yamlComment)[key]'")
                continue
            }
            let location: InputPlacement = parameter.location == .query ? .query : .header
            if location == .header && !NameRules.isHeaderToken(parameter.name) {
                draft.comment("\(shown): not a valid header name")
                continue
            }
            let name = draft.claim(Self.inputName(parameter.name))
            draft.input(name: name, wire: wire ?? (name == parameter.name ? nil : parameter.name), location: location, schema: schema,
                        required: parameter.required, description: parameter.description, style: style)
        }
        var encoding: BodyEncoding = .json
        if let request = operation.requestBody, method.carriesBody {
            let keys = request.content.keys
            let json = keys.first { $0.typeAndSubtype == "application/json" || $0.typeAndSubtype.hasSuffix("+json") }
            let form = keys.first { $0.typeAndSubtype == "application/x-www-form-urlencoded" }
            if json == nil, form != nil { encoding = .form }
            if let key = json ?? form, let contentSchema = request.content[key]?.schema {
                var schema = SpecSchema(contentSchema)
                if case .choice(let branches, _) = schema.shape, let object = branches.first(where: { if case .object = $0.shape { true } else { false } }) {
                    draft.comment("the body is one of several shapes; the first object is drafted")
                    schema = object
                }
                if case .object(let properties, let required, _) = schema.shape {
                    for property in properties where !property.schema.readOnly {
                        if encoding == .form && (property.name.contains("[") || property.name.contains("]")) {
                            draft.comment("\(property.name.yamlComment): brackets in a form body come from the encoding")
                            continue
                        }
                        let name = draft.claim(Self.inputName(property.name))
                        draft.input(name: name, wire: name == property.name ? nil : property.name, location: .body, schema: property.schema,
                                    required: required.contains(property.name), description: nil, style: nil)
                    }
                } else if case .any = schema.shape {
                } else {
                    draft.comment("the request body is \(schema.typeName.yamlComment), not an object of named fields; write the tool with request: custom")
                }
            } else {
                draft.comment("the request body is \(keys.map(\.rawValue).joined(separator: ", ").yamlComment); keyway sends JSON or form bodies only")
            }
        }

        let output = Self.outputLines(operation, draft)

        var lines: [String] = []
        lines.append("  - name: \(Self.toolName(operationId))")
        let description = Self.firstLine(operation.summary) ?? Self.firstLine(operation.description) ?? operationId
        lines.append("    description: \(YAMLText.scalar(description))")
        lines.append("    method: \(method.rawValue)")
        lines.append("    endpoint: \(YAMLText.scalar(endpoint))")
        if let scopes = operation.oauthScopes.first, !scopes.isEmpty {
            lines.append("    scopes: [\(scopes.map { YAMLText.scalar($0, flow: true) }.joined(separator: ", "))]")
        }
        if encoding == .form { lines.append("    encoding: form") }
        if !draft.lines.isEmpty {
            if draft.inputs == 0 { lines.append("    # no inputs keyway can express") } else { lines.append("    input:") }
            lines += draft.lines
        }
        lines += output
        return .success(lines.joined(separator: "\n") + "\n")
    }

    /// `output:` drafted from the operation's success answer: the fields of its object
    /// (each as the document types it, `nullable` where it says so; enums, bounds and
    /// defaults left out, which an answer is not held to), or a comment saying why not.
    static func outputLines(_ operation: APIOperation, _ draft: Draft) -> [String] {
        var schema: SpecSchema
        switch operation.answerSchema() {
        case .success(let read): schema = read
        case .failure(let why): return ["    # output not drafted: \(why.reason.yamlComment)"]
        }
        if case .choice(let branches, _) = schema.shape, let object = branches.first(where: { if case .object = $0.shape { true } else { false } }) {
            schema = object
        }
        guard case .object(let properties, let required, _) = schema.shape, !properties.isEmpty else {
            return ["    # output not drafted: the answer is \(schema.typeName.yamlComment), not an object of named fields"]
        }
        var lines = ["    output:"]
        for property in properties where !property.schema.writeOnly {
            guard NameRules.isInputName(property.name) else {
                lines.append("      # left out: \(property.name.yamlComment): not a field name keyway accepts")
                continue
            }
            var fields: [String] = []
            var notes: [String] = []
            if draft.schemaLines(property.schema, optional: !required.contains(property.name), description: nil, indent: "        ", into: &fields, notes: &notes, topLevel: nil, output: true) {
                lines.append("      \(property.name):")
                lines += notes.map { "        # \($0)" }
                lines += fields
            } else {
                lines.append("      # left out: \(property.name.yamlComment): \(notes.first ?? "a shape keyway cannot express")")
            }
        }
        return lines
    }

    // MARK: names

    /// `^[A-Za-z][A-Za-z0-9_-]{0,63}$` from an operationId: snake_case words.
    static func toolName(_ id: String) -> String {
        var words: [String] = []
        var current = ""
        var previous: Character?
        for ch in id {
            if ch.isASCII && (ch.isLetter || ch.isNumber) {
                let boundary = ch.isUppercase && (previous.map { $0.isLowercase || $0.isNumber } ?? false)
                if boundary && !current.isEmpty { words.append(current); current = "" }
                current.append(Character(ch.lowercased()))
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
            previous = ch
        }
        if !current.isEmpty { words.append(current) }
        var name = words.joined(separator: "_")
        if name.isEmpty || !(name.first?.isLetter ?? false) { name = "op_" + name }
        while name.utf8.count > 64 || name.hasSuffix("_") { name.removeLast() }
        return name
    }

    /// `^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`: the name itself when valid, else one derived.
    static func inputName(_ name: String) -> String {
        if NameRules.isInputName(name) { return name }
        var out = ""
        for ch in name.unicodeScalars {
            let ok = ch.isASCII && (CharacterSet.alphanumerics.contains(ch) || "_.-".unicodeScalars.contains(ch))
            if ok { out.unicodeScalars.append(ch) } else if !out.hasSuffix("_") { out.append("_") }
        }
        while out.hasSuffix("_") && out.count > 1 { out.removeLast() }
        if out.isEmpty || !(out.first.map { $0.isLetter || $0 == "_" } ?? false) { out = "_" + out }
        return String(out.prefix(64))
    }

    /// What keyway's validator would say of the endpoint, in short.
    static func endpointProblem(_ endpoint: String) -> String? {
        if !endpoint.hasPrefix("/") { return "the path must start with '/'" }
        if endpoint.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) { return "the path has spaces or control characters" }
        if endpoint.contains("?") || endpoint.contains("#") || endpoint.contains("//") || endpoint.contains("\\") { return "the path has '?', '#', '//' or '\\', which a keyway endpoint cannot" }
        if endpoint.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) { return "the path has '.' or '..' segments" }
        let lowered = endpoint.lowercased()
        if lowered.contains("%2e") || lowered.contains("%2f") || lowered.contains("%5c") { return "the path has encoded dots or slashes" }
        return nil
    }

    static func firstLine(_ text: String?) -> String? {
        guard let text else { return nil }
        let line = PlainText.of(text).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        return line.map { $0.count > 300 ? String($0.prefix(300)) : $0 }
    }
}

/// The `input:` block being written, with the names it has taken.
struct Draft {
    var lines: [String] = []
    var inputs = 0
    /// Swift names of the inputs so far: keyway's validator wants them distinct.
    private var swiftNames: Set<String> = []

    /// `name`, or `name_2`, `name_3`… when its Swift identifier is taken.
    mutating func claim(_ name: String) -> String {
        var candidate = name
        var n = 2
        while swiftNames.contains(SwiftIdentifier.lowerCamel(candidate)) {
            candidate = String(name.prefix(60)) + "_\(n)"
            n += 1
        }
        swiftNames.insert(SwiftIdentifier.lowerCamel(candidate))
        return candidate
    }

    mutating func comment(_ text: String) { lines.append("      # left out: \(text)") }

    mutating func input(name: String, wire: String?, location: InputPlacement, schema: SpecSchema, required: Bool, description: String?, style: QueryArrayStyle?) {
        if let wire, let problem = NameRules.wireProblem(wire, placement: location, input: name) {
            comment("'\(wire.yamlComment)': not a name keyway can send (\(problem))")
            return
        }
        var fields: [String] = []
        var notes: [String] = []
        guard schemaLines(schema, optional: !required, description: description, indent: "        ", into: &fields, notes: &notes, topLevel: location) else {
            comment("\(name.yamlComment): \(notes.first ?? "a shape keyway cannot express")")
            return
        }
        lines.append("      \(name):")
        lines += notes.map { "        # \($0)" }
        // type first, then where it goes, then the rest.
        lines.append(fields[0])
        lines.append("        in: \(location.rawValue)")
        if let wire { lines.append("        wire: \(YAMLText.scalar(wire))") }
        if let style { lines.append("        style: \(style.rawValue)") }
        lines += fields.dropFirst()
        inputs += 1
    }

    /// The fields of one schema (`type:` first). False when keyway cannot express it.
    /// With `output`, an answer's field: `nullable` as the document says, no enum, bounds
    /// or default, and the properties an answer has (not those sent only, `writeOnly`).
    func schemaLines(_ s: SpecSchema, optional: Bool, description: String?, indent: String, into out: inout [String], notes: inout [String], topLevel: InputPlacement?,
                     output: Bool = false) -> Bool {
        // The entry is pasted under a connector's `tools:`: a mapping whose keys are
        // indented k spaces is nested k/2 deep there, a flow list in it one more; a manifest
        // nests at most `YAMLLimits().maxDepth` deep.
        guard indent.count / 2 + 1 < YAMLLimits().maxDepth else {
            notes.append("nested deeper than a manifest may be (\(YAMLLimits().maxDepth) levels)")
            return false
        }
        var s = s
        if case .choice(let branches, let keyword) = s.shape {
            guard let first = branches.first(where: { if case .unsupported = $0.shape { false } else { true } }) else {
                notes.append("\(keyword) of shapes keyway cannot express")
                return false
            }
            notes.append("\(keyword): the first shape, \(first.typeName.yamlComment), is drafted")
            let parent = s
            s = first
            s.description = s.description ?? parent.description
            s.nullable = s.nullable || parent.nullable
        }
        let scalarOnly = topLevel == .path || topLevel == .header || topLevel == .query
        var children: [String] = []
        var type: String
        var isInteger = false
        switch s.shape {
        case .string(let format):
            type = "string"
            if let format, let known = StringFormat(rawValue: format) { children.append("\(indent)format: \(known.rawValue)") }
        case .integer: type = "integer"; isInteger = true
        case .number: type = "number"
        case .boolean: type = "boolean"
        case .array(let items):
            type = "array"
            guard topLevel != .path && topLevel != .header else { notes.append("an array cannot go in the \(topLevel?.rawValue ?? "")"); return false }
            var itemLines: [String] = []
            var itemNotes: [String] = []
            guard let items, schemaLines(items, optional: false, description: nil, indent: indent + "  ", into: &itemLines, notes: &itemNotes, topLevel: nil, output: output) else {
                notes.append("an array of items keyway cannot express")
                return false
            }
            if topLevel == .query, !["string", "integer", "number", "boolean"].contains(items.typeName) {
                notes.append("an array of \(items.typeName.yamlComment)s cannot go in the query")
                return false
            }
            children.append("\(indent)items:")
            children += itemNotes.map { "\(indent)  # \($0)" }
            children += itemLines
        case .object(let properties, let required, let additional):
            type = "object"
            guard !scalarOnly else { notes.append("an object cannot go in the \(topLevel?.rawValue ?? "")"); return false }
            if !properties.isEmpty {
                children.append("\(indent)properties:")
                var written = 0
                var firstNote: String?
                var names: Set<String> = []
                for property in properties where output ? !property.schema.writeOnly : !property.schema.readOnly {
                    guard NameRules.isInputName(property.name), names.insert(SwiftIdentifier.lowerCamel(property.name)).inserted else {
                        children.append("\(indent)  # left out: \(property.name.yamlComment): not a property name keyway accepts")
                        continue
                    }
                    var propertyLines: [String] = []
                    var propertyNotes: [String] = []
                    if schemaLines(property.schema, optional: !required.contains(property.name), description: nil, indent: indent + "    ", into: &propertyLines, notes: &propertyNotes, topLevel: nil, output: output) {
                        children.append("\(indent)  \(property.name):")
                        children += propertyNotes.map { "\(indent)    # \($0)" }
                        children += propertyLines
                        written += 1
                    } else {
                        children.append("\(indent)  # left out: \(property.name.yamlComment): \(propertyNotes.first ?? "a shape keyway cannot express")")
                        firstNote = firstNote ?? propertyNotes.first
                    }
                }
                // An object none of whose properties can be drafted is left out itself.
                if written == 0, let firstNote {
                    notes.append(firstNote)
                    return false
                }
            } else if case .some(let values?) = additional {
                var valueLines: [String] = []
                var valueNotes: [String] = []
                guard schemaLines(values, optional: false, description: nil, indent: indent + "  ", into: &valueLines, notes: &valueNotes, topLevel: nil, output: output) else {
                    notes.append("a map of values keyway cannot express")
                    return false
                }
                children.append("\(indent)values:")
                children += valueNotes.map { "\(indent)  # \($0)" }
                children += valueLines
            }
        case .any:
            notes.append(output ? "no type in the document, or nested past the \(SuccessResponse.maximumReferences) references keyway follows" : "no type in the document")
            return false
        case .null:
            notes.append("always null")
            return false
        case .choice(_, let keyword):
            notes.append("nested \(keyword)")
            return false
        case .unsupported(let why):
            notes.append(why.yamlComment)
            return false
        }
        out.append("\(indent)type: \(type)")
        out += children
        if let text = OpenAPIImporter.firstLine(description ?? s.description) { out.append("\(indent)description: \(YAMLText.scalar(text))") }
        if optional { out.append("\(indent)optional: true") }
        if output {
            if s.nullable { out.append("\(indent)nullable: true") }
            return true
        }
        let scalar = ["string", "integer", "number", "boolean"].contains(type)
        // The document's constraints as a manifest states them, in the table's order; what
        // a manifest cannot state (an exclusive bound of a number, a pattern keyway's
        // validator refuses) is left out with a comment.
        let manifestType = Self.inputType(type)
        var constraints: [Constraint] = []
        for constraint in s.constraints where manifestType.map(constraint.key.applies) ?? false {
            guard let stated = Constraint.fromDocument(constraint, exclusive: s.exclusive.contains(constraint.key), integer: isInteger) else {
                out.append("\(indent)# left out: an exclusive \(constraint.key.rawValue) (\(constraint.argument.text))")
                continue
            }
            guard stated.argumentProblem == nil else {
                out.append("\(indent)# left out: a \(constraint.key.rawValue) keyway's validator refuses")
                continue
            }
            constraints.append(stated)
        }
        var allowed: [LiteralValue]?
        if scalar, let values = s.allowed, let manifestType {
            let typed = values.compactMap { Self.literal($0.value, type: manifestType) }
            if typed.count == values.count, !typed.isEmpty, Set(typed).count == typed.count,
               typed.allSatisfy({ Self.within($0, constraints) }) {
                allowed = typed
            } else {
                out.append("\(indent)# left out: an enum keyway cannot express as \(type)s")
            }
        }
        if scalar, optional, let value = s.defaultValue, let manifestType {
            if let literal = Self.literal(value.value, type: manifestType), allowed?.contains(literal) ?? true, Self.within(literal, constraints) {
                out.append("\(indent)default: \(Self.yaml(literal))")
            } else {
                out.append("\(indent)# left out: a default that is not \(type == "integer" ? "an" : "a") \(type) within the bounds")
            }
        }
        if let allowed {
            out.append("\(indent)enum: [\(allowed.map { Self.yaml($0, flow: true) }.joined(separator: ", "))]")
        }
        for constraint in constraints { out.append("\(indent)\(constraint.key.rawValue): \(Self.yaml(constraint.argument))") }
        return true
    }

    /// A manifest type's model, for a type of the document keyway reads as one.
    static func inputType(_ name: String) -> ValueType? {
        switch name {
        case "string": .string()
        case "integer": .integer
        case "number": .number
        case "boolean": .boolean
        case "array": .array(items: ValueSchema(.string()))
        default: nil
        }
    }

    /// A literal as a manifest writes it: strings YAML-safe, numbers as JSON writes them.
    static func yaml(_ literal: LiteralValue, flow: Bool = false) -> String {
        if case .string(let s) = literal { return YAMLText.scalar(s, flow: flow) }
        return literal.text
    }

    /// A document literal as the value keyway reads for `type`, or nil when it is not one.
    static func literal(_ value: Any, type: ValueType) -> LiteralValue? {
        switch (type, value) {
        case (.string, let s as String): .string(s)
        case (.string, let b as Bool): .string(b ? "true" : "false")  // a YAML document's plain `yes`
        case (.string, let i as Int): .string(String(i))
        case (.integer, let i as Int): .integer(Int64(i))
        case (.integer, let d as Double): JSONNumber.whole(d).map { .integer($0) }
        case (.number, let i as Int): .number(Double(i))
        case (.number, let d as Double) where d.isFinite: .number(d)
        case (.boolean, let b as Bool): .boolean(b)
        default: nil
        }
    }

    /// Whether a literal passes the constraints keyway's validator checks defaults and
    /// enums against.
    static func within(_ literal: LiteralValue, _ constraints: [Constraint]) -> Bool {
        constraints.allSatisfy { $0.manifestViolation(by: literal) == nil }
    }
}

/// Strings written into YAML: plain when nothing in them could be read as anything else,
/// double-quoted with escapes otherwise.
extension String {
    /// Text safe inside a YAML comment: one line (line breaks and other control characters
    /// escaped), at most 80 characters.
    var yamlComment: String { forDiagnostic }
}
