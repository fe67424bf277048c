package mmgp.api;

/** A request the engine refuses before queuing it: names the offending field (the HTTP layer answers 400). */
public final class InvalidRequestException extends IllegalArgumentException {
    private final String field;

    public InvalidRequestException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    public String field() {
        return field;
    }

    /** Throws when {@code value} is outside [min, max]. */
    public static void checkRange(String field, double value, double min, double max) {
        if (!(value >= min && value <= max)) throw new InvalidRequestException(field, "must be in [" + fmt(min) + ", " + fmt(max) + "], got " + fmt(value));
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
