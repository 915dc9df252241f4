import { computed, ref, watch } from 'vue'

// useSelection keeps the ids picked for a bulk action among the rows shown; a row that leaves
// the list (another page, another filter) leaves the selection too.
export function useSelection(rows) {
  const selected = ref([])
  const ids = computed(() => (rows.value ?? []).map((r) => r.id))

  watch(ids, (now) => {
    selected.value = selected.value.filter((id) => now.includes(id))
  })

  const isSelected = (id) => selected.value.includes(id)
  const toggle = (id) => {
    selected.value = isSelected(id) ? selected.value.filter((x) => x !== id) : [...selected.value, id]
  }
  const allSelected = computed(() => ids.value.length > 0 && ids.value.every((id) => selected.value.includes(id)))
  const someSelected = computed(() => selected.value.length > 0 && !allSelected.value)
  const toggleAll = () => {
    selected.value = allSelected.value ? [] : [...ids.value]
  }
  const clear = () => {
    selected.value = []
  }
  return { selected, isSelected, toggle, allSelected, someSelected, toggleAll, clear }
}
