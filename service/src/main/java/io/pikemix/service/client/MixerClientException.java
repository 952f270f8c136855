package io.pikemix.service.client;

/** A request the mixer service refused ({@code status} ≥ 400, {@code code} from its error body) or could not answer. */
public final class MixerClientException extends RuntimeException {
    private final int status;
    private final String code;

    public MixerClientException(int status, String code, String message) {
        super(status > 0 ? "mixer service: " + status + " " + code + ": " + message : "mixer service: " + message);
        this.status = status;
        this.code = code;
    }

    /** HTTP status, or 0 when the service could not be reached. */
    public int status() {
        return status;
    }

    /** The service's error code ("duplicate", "closed", "not_ready", "unauthorised", ...). */
    public String code() {
        return code;
    }
}
