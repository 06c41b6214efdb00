/// How many edits apart two words are, for did-you-mean suggestions everywhere keyway
/// makes them (manifest keys, folder names, OpenAPI paths and operation ids).
public enum EditDistance {
    /// Optimal string alignment distance (Levenshtein plus transpositions, so 'scoeps' is
    /// one edit from 'scopes'), without case, over at most the first 64 characters of
    /// each word: the cost is bounded whatever the input.
    public static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased().prefix(64)), b = Array(b.lowercased().prefix(64))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

extension EditDistance {
    /// The did-you-mean rule, the one keyway uses everywhere: the candidate fewest edits
    /// from `word` (without case), if it is within a third of the candidate's length (at
    /// least 2 edits); the first of equals wins. A candidate whose length alone puts it
    /// out of reach costs nothing; each comparison first asks `charge` for its cells of
    /// work (the product of the two lengths, at most 64 each), and the search stops with
    /// what it has when `charge` refuses (nil when `charge` refuses on the first).
    public static func closest(to word: String, in candidates: some Sequence<String>, charge: (Int) -> Bool = { _ in true }) -> String? {
        let lowered = word.lowercased()
        let length = min(lowered.count, 64)
        var best: (String, Int)?
        for candidate in candidates {
            let candidateLength = min(candidate.count, 64)
            let reach = max(2, candidate.count / 3)
            if abs(candidateLength - length) > reach { continue }
            guard charge(max(1, length * candidateLength)) else { return best?.0 }
            let d = between(lowered, candidate)
            if d <= reach, best == nil || d < best!.1 { best = (candidate, d) }
        }
        return best?.0
    }
}

/// The did-you-mean work one run may do, in cells of the distance table: beyond it,
/// diagnostics say what is allowed without a suggestion. Keeps thousands of misspellings
/// against thousands of names linear. One per run, charged by every `closest` of the run.
public final class SuggestionBudget {
    /// Cells allowed in one run.
    public static let cells = 20_000_000
    public private(set) var spent = 0

    public init() {}

    /// Spends `cost` cells; false (and nothing spent) once the budget would be exceeded.
    public func charge(_ cost: Int) -> Bool {
        guard spent + cost <= Self.cells else { return false }
        spent += cost
        return true
    }
}
