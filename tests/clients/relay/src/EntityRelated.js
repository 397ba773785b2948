// Copper's "related items" view as a Relay pagination fragment on
// `Entity.related`, backwards too (`last`/`before`).
import { graphql } from 'relay-runtime';

export const EntityRelated = graphql`
  fragment EntityRelated_entity on Entity
  @refetchable(queryName: "EntityRelatedPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 10 }
    cursor: { type: "String" }
    kind: { type: "String" }
  ) {
    related(first: $count, after: $cursor, kind: $kind) @connection(key: "EntityRelated_related") {
      __id
      totalCount
      edges {
        cursor
        node {
          id
          kind
          name
        }
      }
    }
  }
`;
