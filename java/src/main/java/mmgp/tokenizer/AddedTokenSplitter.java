package mmgp.tokenizer;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * Cuts a tokenizer's added tokens (specials such as {@code <|endoftext|>}, {@code <image>}) out of a text
 * before the model's own splitting runs on what lies between: leftmost occurrence first, and of those
 * starting at one position the longest, as transformers' {@code Trie.split} does for token sets where
 * none is inside another.
 */
public final class AddedTokenSplitter {

    private final List<String> longestFirst;

    /** {@code tokens} in the tokenizer's order; among equally long tokens the earlier one wins. */
    public AddedTokenSplitter(Collection<String> tokens) {
        List<String> sorted = new ArrayList<>(tokens);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        this.longestFirst = List.copyOf(sorted);
    }

    /** Hands the non-empty text pieces to {@code textSink} and the added tokens to {@code tokenSink}, in order. */
    public void split(String text, Consumer<String> textSink, Consumer<String> tokenSink) {
        int pieceStart = 0;
        int position = 0;
        while (position < text.length()) {
            String added = tokenAt(text, position);
            if (added == null) {
                position++;
                continue;
            }
            if (position > pieceStart) {
                textSink.accept(text.substring(pieceStart, position));
            }
            tokenSink.accept(added);
            position += added.length();
            pieceStart = position;
        }
        if (pieceStart < text.length()) {
            textSink.accept(text.substring(pieceStart));
        }
    }

    /** The text pieces and added tokens in order, empty text pieces dropped. */
    public List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        split(text, pieces::add, pieces::add);
        return pieces;
    }

    private String tokenAt(String text, int position) {
        for (String token : longestFirst) {
            if (text.startsWith(token, position)) {
                return token;
            }
        }
        return null;
    }
}
