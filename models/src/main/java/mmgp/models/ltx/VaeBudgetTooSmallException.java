package mmgp.models.ltx;

/**
 * The VAE memory budget is below the compute buffer of the smallest tile: no tiling fits it
 * ({@link VaeTiling#forBudget}). Its own type so that callers can tell it from the other
 * {@link IllegalArgumentException}s of the decoder and the tiling (bad sizes, settings).
 */
public final class VaeBudgetTooSmallException extends IllegalArgumentException {
    public VaeBudgetTooSmallException(String message) {
        super(message);
    }
}
