package mmgp.cli;

import mmgp.graph.Numerics;
import picocli.CommandLine;

/** picocli converter for {@code --numerics exact|fast}, with an error that names the accepted values. */
public final class NumericsConverter implements CommandLine.ITypeConverter<Numerics> {
    @Override
    public Numerics convert(String value) {
        try {
            return Numerics.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
