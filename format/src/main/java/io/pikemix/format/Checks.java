package io.pikemix.format;

/** Argument checks that fail with a message naming the offending value (STYLE.md §7). */
public final class Checks {
    private Checks() {}

    /** Throws {@link UserException} with {@code String.format(message, args)} unless {@code condition}. */
    public static void require(boolean condition, String message, Object... args) {
        if (!condition) throw new UserException(String.format(message, args));
    }
}
