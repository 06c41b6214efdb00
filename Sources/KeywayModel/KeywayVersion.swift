/// keyway's version, as `keyway --version` and `keyway-generator --version` print it.
public enum KeywayVersion {
    public static let current = "0.4.0"
}
