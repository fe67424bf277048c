package mmgp.bindings.llama;

/**
 * A libllama or libmtmd call reported failure (a NULL handle or an error code); the message
 * names what was being loaded or run. llama.cpp logs the underlying reason through
 * {@link LlamaLog}.
 */
public final class LlamaException extends RuntimeException {
    public LlamaException(String message) {
        super(message);
    }
}
