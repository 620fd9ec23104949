import { apiUrl, useApi } from '../api.js';
import { navigate, type Location } from '../router.js';
import { withParams } from '../routes.js';
import type { ZonesJson } from '../types.js';

/** The zones of the config file; choosing one filters the services and traces lists. */
export function ZonePicker({ location }: { readonly location: Location }) {
  const zones = useApi<ZonesJson>(apiUrl('zones'));
  const current = location.params.get('zone') ?? '';
  const names = zones.state === 'ok' ? zones.data.zones.map((z) => z.name) : [];
  // A zone named in a shared link stays selectable even before the list has loaded.
  if (current !== '' && !names.includes(current)) names.push(current);
  const none = zones.state === 'ok' && zones.data.zones.length === 0;
  return (
    <label className="control">
      <span className="control-label">Zone</span>
      <select
        aria-label="Zone"
        value={current}
        disabled={none && current === ''}
        title={none ? 'No zones are configured (see the config file)' : 'Management zone'}
        onChange={(e) => navigate(withParams(location, { zone: e.target.value === '' ? undefined : e.target.value }))}
      >
        <option value="">{none ? 'No zones' : 'All zones'}</option>
        {names.map((name) => (
          <option key={name} value={name}>{name}</option>
        ))}
      </select>
    </label>
  );
}
