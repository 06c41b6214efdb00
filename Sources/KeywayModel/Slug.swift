/// Integration keys, connector slugs and provider names: `^[a-z0-9][a-z0-9-]*$`, at most
/// 64 characters. Checked by the validator; relied on by emitters that put a slug where
/// only such a name is safe (a file name, a SQL constraint name).
public enum Slug {
    public static func isValid(_ s: String) -> Bool {
        guard let first = s.utf8.first, s.utf8.count <= 64 else { return false }
        let lowerAlnum = { (c: UInt8) in (97...122).contains(c) || (48...57).contains(c) }
        return lowerAlnum(first) && s.utf8AllSatisfy { lowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }
}
