package mmgp.models;

import java.util.Map;
import java.util.concurrent.Callable;
import mmgp.api.InvalidRequestException;

/**
 * The CLI's side of the API records' checks: a refusal names a record field as HTTP does
 * ({@code max_new_tokens: must be …}); a verb restates it with the option that sets that field
 * ({@code --max-tokens must be …}), so the message says what to change on the command line.
 */
public final class OptionNames {
    private OptionNames() {}

    /**
     * Runs {@code work}; an {@link InvalidRequestException} whose field {@code optionOf} maps is
     * rethrown as an {@link IllegalArgumentException} naming the option, the original as its cause.
     * A field the map lacks is rethrown as it is.
     */
    public static <T> T named(Map<String, String> optionOf, Callable<T> work) throws Exception {
        try {
            return work.call();
        } catch (InvalidRequestException e) {
            String option = e.field() == null ? null : optionOf.get(e.field());
            if (option == null) throw e;
            String prefix = e.field() + ": ";
            String message = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
            throw new IllegalArgumentException(option + " " + message, e);
        }
    }
}
