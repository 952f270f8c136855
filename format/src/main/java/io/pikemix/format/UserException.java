package io.pikemix.format;

/**
 * A mistake of the user's (bad option, bad path, bad spec, malformed input file). The CLI prints its
 * message as one line on stderr and exits with status 2, without a stack trace (STYLE.md §7).
 */
public class UserException extends RuntimeException {
    public UserException(String message) {
        super(message);
    }

    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
