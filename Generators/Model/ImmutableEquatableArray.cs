using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace EdgeLoss.Generators.Model
{
    /// <summary>
    /// An immutable array compared by its elements, so that pipeline models holding lists stay equatable and the
    /// incremental generator can tell an unchanged model from a changed one (ImmutableArray compares by reference).
    /// </summary>
    internal sealed class ImmutableEquatableArray<T> : IEquatable<ImmutableEquatableArray<T>>, IReadOnlyList<T>
        where T : IEquatable<T>
    {
        public static readonly ImmutableEquatableArray<T> Empty = new ImmutableEquatableArray<T>(Array.Empty<T>());

        private readonly T[] _values;

        public ImmutableEquatableArray(IEnumerable<T> values) => _values = values.ToArray();

        public T this[int index] => _values[index];

        public int Count => _values.Length;

        public bool Equals(ImmutableEquatableArray<T>? other)
        {
            if (ReferenceEquals(this, other)) return true;
            if (other is null || other._values.Length != _values.Length) return false;
            for (int i = 0; i < _values.Length; i++)
                if (!_values[i].Equals(other._values[i])) return false;
            return true;
        }

        public override bool Equals(object? obj) => obj is ImmutableEquatableArray<T> other && Equals(other);

        public override int GetHashCode()
        {
            int hash = 17;
            foreach (T value in _values)
                hash = unchecked(hash * 31 + value.GetHashCode());
            return hash;
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_values).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => _values.GetEnumerator();
    }

    internal static class ImmutableEquatableArray
    {
        public static ImmutableEquatableArray<T> ToImmutableEquatableArray<T>(this IEnumerable<T> values) where T : IEquatable<T>
            => new ImmutableEquatableArray<T>(values);
    }
}
