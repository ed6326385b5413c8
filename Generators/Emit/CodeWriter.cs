using System.Text;

namespace EdgeLoss.Generators.Emit
{
    /// <summary>Builds indented C# text with '\n' line ends, so the output is the same on every host.</summary>
    internal sealed class CodeWriter
    {
        private readonly StringBuilder _text = new StringBuilder();
        private int _indent;

        public CodeWriter Line(string line = "")
        {
            if (line.Length > 0)
                _text.Append(' ', _indent * 4).Append(line);
            _text.Append('\n');
            return this;
        }

        /// <summary>Writes <paramref name="header"/> and an opening brace, and indents.</summary>
        public CodeWriter Open(string header)
        {
            Line(header);
            Line("{");
            _indent++;
            return this;
        }

        /// <summary>Unindents and writes the closing brace.</summary>
        public CodeWriter Close()
        {
            _indent--;
            Line("}");
            return this;
        }

        /// <summary>Writes a <c>///</c> comment block: each line of <paramref name="text"/> prefixed.</summary>
        public CodeWriter Doc(string text)
        {
            foreach (string line in text.Split('\n'))
                Line("/// " + line);
            return this;
        }

        public override string ToString() => _text.ToString();
    }
}
