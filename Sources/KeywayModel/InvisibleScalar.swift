extension Unicode.Scalar {
    /// A scalar that shows nothing, or something misleading, when printed: controls,
    /// format characters (bidirectional overrides, zero-width joiners…), line and
    /// paragraph separators, surrogates, private-use and unassigned scalars. The one rule
    /// for every place keyway writes a string a person or a compiler reads (generated
    /// literals and comments, diagnostics, excerpts): such a scalar is written as an escape.
    public var isInvisible: Bool {
        switch properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: true
        default: false
        }
    }
}
