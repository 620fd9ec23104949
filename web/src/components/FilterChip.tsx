/** An active filter the user can see and remove: `Chain: shop-web > frontend > checkout ×`. */
export function FilterChip({ label, value, onRemove }: { readonly label: string; readonly value: string; readonly onRemove: () => void }) {
  return (
    <span className="chip" data-filter={label.toLowerCase()}>
      <span className="chip-label">{label}</span>
      <span className="chip-value">{value}</span>
      <button type="button" className="chip-remove" aria-label={`Remove ${label.toLowerCase()} filter`} title="Remove filter" onClick={onRemove}>
        ×
      </button>
    </span>
  );
}
