package io.pikemix.service;

/**
 * A refused request: the HTTP status, a short machine-readable code and a message that says what is wrong, shows
 * the offending value and says what to do (STYLE.md §7). Sent as {@code {"error":code,"message":...}}.
 */
final class ApiException extends RuntimeException {
    final int status;
    final String code;

    ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, "bad_request", message);
    }

    static ApiException invalid(String message) {
        return new ApiException(422, "invalid", message);
    }

    static ApiException conflict(String code, String message) {
        return new ApiException(409, code, message);
    }
}
