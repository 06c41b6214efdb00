import Foundation
import KeywayContract

/// The generator's own words and rules about each constraint of `Constraint`'s table:
/// what the validator says of a manifest's constraint, and how `tools lint` and `tools
/// import` read a document's. The runtime links none of this.
extension Constraint {
    /// Pairs of a lower and an upper constraint: the first may not exceed the second.
    public static let orderedPairs: [(lower: Key, upper: Key)] = [(.minimum, .maximum), (.minLength, .maxLength)]

    /// Why an argument the validator read cannot be used, or nil.
    public var argumentProblem: String? {
        switch self {
        case .multipleOf(let step):
            return step > 0 ? nil : "'multiple_of' must be greater than 0"
        case .pattern(let pattern):
            if pattern.utf8.count > 1024 { return "'pattern' must be at most 1024 bytes" }
            if pattern.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
                return "'pattern' must not contain control characters; write them as escapes (\\n, \\t)"
            }
            return PatternSyntax.problem(pattern)
        case .minimum, .maximum, .minLength, .maxLength:
            return nil
        }
    }

    /// How a manifest literal (a `default:` or an `enum:` value) breaks the constraint,
    /// as the validator words it ("is less than 'minimum' (1)"), or nil.
    public func manifestViolation(by literal: LiteralValue) -> String? {
        // The runtime's own check decides; only the words are the validator's.
        guard violation(by: literal.json) != nil else { return nil }
        return switch self {
        case .minimum(let least): "is less than 'minimum' (\(JSONNumber.text(least)))"
        case .maximum(let most): "is greater than 'maximum' (\(JSONNumber.text(most)))"
        case .minLength(let least): "is shorter than 'min_length' (\(least))"
        case .maxLength(let most): "is longer than 'max_length' (\(most))"
        case .pattern: "does not match 'pattern'"
        case .multipleOf(let step): "is not a multiple of 'multiple_of' (\(JSONNumber.text(step)))"
        }
    }

    /// A document's constraint as a manifest can state it, for a manifest input of type
    /// `integer` or not: an exclusive bound of an integer is the next integer; one of a
    /// number cannot be stated (nil).
    public static func fromDocument(_ constraint: Constraint, exclusive: Bool, integer: Bool) -> Constraint? {
        guard exclusive else { return constraint }
        switch constraint {
        case .minimum(let d): return integer ? .minimum(d + 1) : nil
        case .maximum(let d): return integer ? .maximum(d - 1) : nil
        default: return constraint
        }
    }

    /// What `tools lint` finds when a manifest's input (its constraint of this key,
    /// `mine`) is held against the document's (`self`, `exclusive` for a bound written
    /// exclusive): a manifest that allows more is an error, one that states nothing a
    /// warning (the model is not told).
    public func lintFinding(mine: Constraint?, exclusive: Bool, integer: Bool, unit: String, what: String) -> (isError: Bool, message: String)? {
        let key = key.rawValue
        func unstated(_ value: String) -> (Bool, String) {
            (false, "\(what) has no \(key), but the document's is \(value); add \(key): \(value) so that the model is told")
        }
        switch (self, mine) {
        case (.minimum(let value), _), (.maximum(let value), _):
            let isMinimum = self.key == .minimum
            let strict = exclusive && !integer
            let limit = exclusive && integer ? value + (isMinimum ? 1 : -1) : value
            let text = JSONNumber.text(limit)
            let word = isMinimum ? "minimum" : "maximum"
            guard let mine, let own = mine.argument.number else {
                return (false, "\(what) has no \(word), but the document's is \(strict ? (isMinimum ? "above " : "below ") : "")\(text); add \(word): \(text)\(strict ? (isMinimum ? " (or more)" : " (or less)") : "") so that the model is told")
            }
            let allowsMore = isMinimum ? (own < limit || (strict && own <= value)) : (own > limit || (strict && own >= value))
            guard allowsMore else { return nil }
            return isMinimum
                ? (true, "\(what) allows values below the document's minimum (\(strict ? "more than " : "")\(text)); raise minimum to \(text)\(strict ? " or above" : "")")
                : (true, "\(what) allows values above the document's maximum (\(strict ? "less than " : "")\(text)); lower maximum to \(text)\(strict ? " or below" : "")")
        case (.minLength(let least), .minLength(let own)?):
            return own < least ? (true, "\(what) allows fewer \(unit) than the document's min_length (\(least)); raise min_length to \(least)") : nil
        case (.maxLength(let most), .maxLength(let own)?):
            return own > most ? (true, "\(what) allows more \(unit) than the document's max_length (\(most)); lower max_length to \(most)") : nil
        case (.multipleOf(let step), .multipleOf(let own)?):
            return Self.isMultiple(own, of: step) ? nil
                : (true, "\(what) allows values that are not multiples of the document's multiple_of (\(JSONNumber.text(step))); make multiple_of a multiple of \(JSONNumber.text(step))")
        case (.pattern(let pattern), let mine):
            if case .pattern(pattern)? = mine { return nil }
            return (false, mine == nil
                ? "\(what) has no pattern, but the document's is '\(pattern.forDiagnostic)'; add it so that the model is told"
                : "\(what) has a pattern other than the document's ('\(pattern.forDiagnostic)'); make sure it accepts nothing the document's rejects")
        case (_, nil):
            return unstated(argument.text)
        default:
            return nil
        }
    }
}

/// Whether a pattern compiles, asked once per distinct pattern in a process: compiling one
/// is the dearest single step of validating a manifest (a quarter of a million
/// instructions), and projects repeat their patterns across connectors.
enum PatternSyntax {
    // By the pattern's bytes: Swift holds two spellings of a character equal (`é`, and
    // `e` + U+0301), a regular expression does not (`[a-é]` is a range, `[a-e\u{301}]`
    // is not).
    private static let known = Memo<[UInt8], String?>()

    /// Why `pattern` is not a regular expression, or nil.
    static func problem(_ pattern: String) -> String? {
        known.answer(Array(pattern.utf8)) { _ in
            do {
                _ = try Regex(pattern)
                return nil
            } catch {
                return "'pattern' is not a valid regular expression (\(String(describing: error).forDiagnostic)); fix it"
            }
        }
    }
}
