import Foundation
import KeywayLoad
import KeywayModel

/// A value read from a manifest, with where it was written.
struct Located<Value> {
    var value: Value
    var location: SourceLocation
}

/// The keys of one mapping, checked against the keys its schema allows.
struct Fields {
    var node: YAMLNode
    /// The allowed pairs, in the order written; keys are unique (the loader drops a
    /// duplicate key). A schema looks up a fixed handful of keys, so a scan of the pairs
    /// costs less than hashing them into a dictionary, and stays linear in their number.
    var pairs: [YAMLPair]
    /// The pair of a schema's key (plain ASCII words, `String.equalsOnlyItsOwnBytes`).
    subscript(key: String) -> YAMLPair? {
        pairs.index(ofPlainKey: key).map { pairs[$0] }
    }
}

/// The did-you-mean budget of readers working at the same time (see `NodeReader.pool`).
final class SuggestionPool: @unchecked Sendable {
    private let lock = NSLock()
    private var spent = 0
    private var over = false

    /// Spends `cells`; false once the run's budget is exceeded.
    func charge(_ cells: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if over { return false }
        spent += cells
        over = spent > NodeReader.suggestionBudget
        return !over
    }

    var exceeded: Bool {
        lock.lock()
        defer { lock.unlock() }
        return over
    }
}

/// Typed reading of YAML nodes by a schema. Every mismatch becomes a positioned
/// diagnostic and reading goes on, so one run reports every problem.
final class NodeReader {
    private(set) var diagnostics: [Diagnostic] = []
    /// Places already reported as secrets (values, and keys), so that neither a second
    /// check nor an alias repeating them reports one twice.
    var flaggedSecretLocations: Set<SourceLocation> = []
    /// Integrations used by a connector that has errors (see `connector(_:)`).
    var integrationsWithBrokenConnectors: Set<String> = []
    /// Integrations whose scope list has errors: a tool's scope missing from what could be
    /// read is not reported again as "does not grant".
    var integrationsWithBrokenScopes: Set<String> = []
    /// Set while reading an integration's `auth` when its scope list has an error.
    var scopeListBroken = false

    func error(_ location: SourceLocation, _ message: String) { diagnostics.append(.error(location, message)) }
    func warning(_ location: SourceLocation, _ message: String) { diagnostics.append(.warning(location, message)) }

    /// The node as a mapping whose keys are all in `allowed`; unknown keys are reported
    /// with a did-you-mean.
    func mapping(_ node: YAMLNode, _ what: @autoclosure () -> String, allowed: [String]) -> Fields? {
        guard case .mapping(let pairs) = node.value else {
            error(node.location, "\(what()) must be a mapping of keys to values, found \(node.kindName)")
            return nil
        }
        // A schema's keys are plain (`String.equalsOnlyItsOwnBytes`): a key of another
        // length is not one of them.
        assert(allowed.allSatisfy(\.equalsOnlyItsOwnBytes), "a schema's keys are plain")
        func isAllowed(_ key: String) -> Bool { allowed.contains { $0.utf8.count == key.utf8.count && $0 == key } }
        // Usually every key is allowed: the pairs are kept as they are, not copied one by one.
        if pairs.allSatisfy({ isAllowed($0.key) }) { return Fields(node: node, pairs: pairs) }
        var fields: [YAMLPair] = []
        fields.reserveCapacity(pairs.count)
        for pair in pairs {
            if isAllowed(pair.key) {
                fields.append(pair)
            } else if let suggestion = closest(to: pair.key, in: allowed) {
                error(pair.keyLocation, "unknown key '\(pair.key.forDiagnostic)'; did you mean '\(suggestion)'?")
            } else {
                error(pair.keyLocation, "unknown key '\(pair.key.forDiagnostic)' in \(what()); allowed keys: \(allowed.joined(separator: ", "))")
            }
        }
        return Fields(node: node, pairs: fields)
    }

    private func missing(_ fields: Fields, _ key: String, _ what: String) {
        error(fields.node.location, "\(what) is missing the required key '\(key)'")
    }

    /// A string field. Any scalar is taken as written (`no` stays "no"); null, lists and
    /// mappings are type errors. Required strings must not be blank.
    func string(_ fields: Fields, _ key: String, _ what: String, required: Bool = true) -> Located<String>? {
        guard let pair = fields[key] else {
            if required { missing(fields, key, what) }
            return nil
        }
        return string(pair.value, "'\(key)'", required: required)
    }

    /// `what` names the value in messages (made only when there is one).
    func string(_ node: YAMLNode, _ what: @autoclosure () -> String, required: Bool = true) -> Located<String>? {
        guard case .scalar(let scalar) = node.value, !scalar.isNull else {
            if case .scalar = node.value, !required { return nil }
            error(node.location, "\(what()) must be a string, found \(node.kindName)")
            return nil
        }
        if required && Self.isBlank(scalar.text) {
            error(node.location, "\(what()) must not be empty")
            return nil
        }
        return Located(value: scalar.text, location: node.location)
    }

    /// Empty, or white space only. A value that starts with a printable ASCII character
    /// other than space (most do) is neither, without a look at Unicode's tables.
    static func isBlank(_ s: String) -> Bool {
        if let first = s.utf8.first, first > 0x20 && first < 0x7F { return false }
        return s.unicodeScalars.allSatisfy(\.properties.isWhitespace)
    }

    /// A boolean: `true` or `false` (YAML 1.2), nothing else (`yes`, `on`, `1` are errors).
    func bool(_ fields: Fields, _ key: String) -> Located<Bool>? {
        guard let pair = fields[key] else { return nil }
        return bool(pair.value, "'\(key)'")
    }

    func bool(_ node: YAMLNode, _ what: @autoclosure () -> String) -> Located<Bool>? {
        if case .scalar(let s) = node.value, s.style == .plain {
            switch s.text {
            case "true", "True", "TRUE": return Located(value: true, location: node.location)
            case "false", "False", "FALSE": return Located(value: false, location: node.location)
            default: break
            }
        }
        error(node.location, "\(what()) must be true or false, found \(describe(node))")
        return nil
    }

    /// An optional field written with no value (`scopes:` and nothing after it) is absent.
    func isNull(_ node: YAMLNode) -> Bool {
        if case .scalar(let s) = node.value { return s.isNull }
        return false
    }

    /// A list of strings; a lone scalar is a type error (write `[x]`).
    func stringList(_ fields: Fields, _ key: String, _ what: String, required: Bool = false) -> [Located<String>]? {
        guard let pair = fields[key], required || !isNull(pair.value) else {
            if required { missing(fields, key, what) }
            return nil
        }
        guard case .sequence(let items) = pair.value.value else {
            error(pair.value.location, "'\(key)' must be a list of strings, found \(describe(pair.value)); write it as [\u{2026}] or one '- item' a line")
            return nil
        }
        return items.compactMap { string($0, "each item of '\(key)'") }
    }

    /// A list of anything, each item handed back for the caller to read.
    func list(_ fields: Fields, _ key: String, _ what: String, required: Bool = false) -> [YAMLNode]? {
        guard let pair = fields[key], required || !isNull(pair.value) else {
            if required { missing(fields, key, what) }
            return nil
        }
        guard case .sequence(let items) = pair.value.value else {
            error(pair.value.location, "'\(key)' must be a list, found \(describe(pair.value))")
            return nil
        }
        return items
    }

    /// A mapping of names to nodes, in the order written.
    func namedEntries(_ fields: Fields, _ key: String) -> [YAMLPair]? {
        guard let pair = fields[key], !isNull(pair.value) else { return nil }
        guard case .mapping(let pairs) = pair.value.value else {
            error(pair.value.location, "'\(key)' must be a mapping of names to values, found \(describe(pair.value))")
            return nil
        }
        return pairs
    }

    /// One of a fixed set of words.
    func choice<T: RawRepresentable & CaseIterable>(_ fields: Fields, _ key: String, _ what: String, required: Bool = true, caseInsensitive: Bool = false) -> Located<T>? where T.RawValue == String {
        guard let text = string(fields, key, what, required: required) else { return nil }
        for raw in caseInsensitive ? [text.value, text.value.lowercased(), text.value.uppercased()] : [text.value] {
            if let value = T(rawValue: raw) { return Located(value: value, location: text.location) }
        }
        let options = T.allCases.map(\.rawValue)
        let hint = closest(to: text.value, in: options).map { "; did you mean '\($0)'?" } ?? "; use one of: \(options.joined(separator: ", "))"
        error(text.location, "'\(key)' cannot be '\(text.value.forDiagnostic)'\(hint)")
        return nil
    }

    func describe(_ node: YAMLNode) -> String {
        if case .scalar(let s) = node.value, !s.isNull { return "'\(s.text.forDiagnostic)'" }
        return node.kindName
    }

    /// Did-you-mean work allowed in one run (`SuggestionBudget.cells`): keeps a file of a
    /// hundred thousand misspelt keys (or thousands of unknown provider keys against
    /// thousands of integrations) linear.
    static let suggestionBudget = SuggestionBudget.cells
    /// Cells spent so far (tests read it).
    private(set) var suggestionCells = 0

    /// For a reader of one document among others read at the same time: the budget they
    /// share. Their suggestions are those of one reader reading every document in order as
    /// long as the budget is not exceeded; once it is, `pool.exceeded` says the run must be
    /// redone in order (`Validator`).
    let pool: SuggestionPool?

    init(pool: SuggestionPool? = nil) { self.pool = pool }

    /// Takes in what another reader found (diagnostics, flags, suggestion work).
    func absorb(_ other: NodeReader) {
        diagnostics += other.diagnostics
        flaggedSecretLocations.formUnion(other.flaggedSecretLocations)
        integrationsWithBrokenConnectors.formUnion(other.integrationsWithBrokenConnectors)
        integrationsWithBrokenScopes.formUnion(other.integrationsWithBrokenScopes)
        suggestionCells += other.suggestionCells
    }

    /// The allowed word closest to a misspelt one (`EditDistance.closest`), within the
    /// run's did-you-mean budget.
    func closest(to word: String, in candidates: [String]) -> String? {
        var refused = false
        let found = EditDistance.closest(to: word, in: candidates) { cost in
            guard suggestionCells + cost <= Self.suggestionBudget else { return false }
            if let pool, !pool.charge(cost) {
                refused = true
                return false
            }
            suggestionCells += cost
            return true
        }
        return refused ? nil : found
    }
}
